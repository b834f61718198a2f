"""Every entry point of notifications, with each role, at home and in another community."""
import pytest

from tests.support.policy_matrix import Entry, check_entry
from volunteer_app.extensions import db
from volunteer_app.notifications import service, webhooks
from volunteer_app.notifications.models import GroupWebhook, OutboxMessage

PREFIX = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key="


def failed_message(place) -> int:
    message = OutboxMessage(channel="sms", community_id=place.community.id, grid_id=place.grid.id, subject="一",
                            status="failed", recipient="13900000000")
    db.session.add(message)
    db.session.flush()
    return message.id


def robot(place) -> int:
    hook = GroupWebhook(community_id=place.community.id, url=PREFIX + f"k{place.community.id}")
    db.session.add(hook)
    db.session.flush()
    return hook.id


EVERYONE = frozenset({"admin", "coordinator", "grid_worker", "volunteer", "resident"})
ENTRIES = [
    Entry("outbox", lambda w, a, p: service.outbox_in_scope(a),
          allowed=frozenset({"admin", "coordinator", "grid_worker"}), placeless=True),
    Entry("outbox.get", lambda w, a, p: service.get_message(a, failed_message(p)),
          allowed=frozenset({"admin", "coordinator", "grid_worker"})),
    Entry("outbox.retry", lambda w, a, p: service.retry(a, failed_message(p)),
          allowed=frozenset({"admin", "coordinator", "grid_worker"})),
    Entry("robots.list", lambda w, a, p: webhooks.in_scope(a),
          allowed=frozenset({"admin", "coordinator", "grid_worker"}), placeless=True),
    Entry("robots.create", lambda w, a, p: webhooks.create(a, p.community.id, None, PREFIX + "new")),
    Entry("robots.create_for_grid", lambda w, a, p: webhooks.create(a, p.community.id, p.grid.id, PREFIX + "g"),
          allowed=frozenset({"admin", "coordinator", "grid_worker"})),
    Entry("robots.update", lambda w, a, p: webhooks.update(a, robot(p), {"label": "二"})),
    Entry("robots.delete", lambda w, a, p: webhooks.delete(a, robot(p))),
    Entry("inbox", lambda w, a, p: service.inbox(a), allowed=EVERYONE, placeless=True),
    Entry("inbox.read", lambda w, a, p: service.mark_read(a, [1]), allowed=EVERYONE, placeless=True),
    Entry("channels", lambda w, a, p: service.choose_channels(a, ["sms"], None), allowed=EVERYONE, placeless=True),
]


@pytest.mark.parametrize("entry", ENTRIES, ids=str)
def test_each_notifications_entry_point_with_each_role(world, entry):
    check_entry(world, entry)


def test_one_coordinator_never_lists_another_communitys_messages(world):
    mine, theirs = failed_message(world.here), failed_message(world.elsewhere)
    listed = {m.id for m in db.session.scalars(service.outbox_in_scope(world.actor("coordinator")))}
    assert mine in listed and theirs not in listed
