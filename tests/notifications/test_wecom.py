"""企业微信 group robots through a local stand-in for the webhook: documented JSON bodies, 20 a minute, errcodes;
the published week's duty list in the community's group; webhooks set by coordinators within their scope."""
from datetime import timedelta

from tests.support.roster import WEEK, district, make_template, plan  # noqa: F401 (fixtures)
from volunteer_app.accounts.policy import Actor
from volunteer_app.extensions import db
from volunteer_app.models_base import utcnow
from volunteer_app.notifications import service, webhooks
from volunteer_app.notifications.models import GroupWebhook, OutboxMessage


def add_robot(wecom, community, grid=None, key="good-key"):
    hook = GroupWebhook(community_id=community.id, grid_id=grid.id if grid else None, url=wecom.prefix + key,
                        label="志愿者群")
    db.session.add(hook)
    db.session.commit()
    return hook


def test_twenty_a_minute_the_twenty_first_waits_its_turn(wecom, channels, make_community):
    channels("wecom")
    community = make_community()
    add_robot(wecom, community)
    for n in range(21):
        assert service.post_to_group(community.id, None, service.Note("callout", f"召集 {n}", "请回复")) is not None
    db.session.commit()
    assert service.deliver_pending() == 20
    db.session.commit()
    assert len(wecom.received) == 20
    assert wecom.received[0] == {"msgtype": "markdown", "markdown": {"content": "**召集 0**\n请回复"}}
    last = db.session.query(OutboxMessage).order_by(OutboxMessage.id.desc()).first()
    assert (last.subject, last.status, last.attempts) == ("召集 20", "pending", 0)
    assert 0 < (service.as_utc(last.next_attempt_at) - utcnow()).total_seconds() <= 60
    assert service.deliver_pending() == 0  # still within the minute: kept, not dropped, not sent

    for message in db.session.query(OutboxMessage).filter_by(status="sent"):
        message.delivered_at -= timedelta(minutes=1)  # the minute has passed
    last.next_attempt_at = utcnow()
    assert service.deliver_pending() == 1
    assert wecom.received[-1]["markdown"]["content"] == "**召集 20**\n请回复"


def test_wecom_rate_limit_answer_retries_and_an_invalid_key_flags_the_robot(wecom, channels, make_community):
    channels("wecom")
    community = make_community()
    hook = add_robot(wecom, community)
    service.post_to_group(community.id, None, service.Note("callout", "一"))
    db.session.commit()
    wecom.errcodes.append(45009)
    assert service.deliver_pending() == 0
    message = db.session.query(OutboxMessage).one()
    assert (message.status, message.attempts) == ("pending", 0) and "45009" in message.last_error

    wecom.keys.clear()  # the robot was removed from the group: its key is now invalid
    message.next_attempt_at = None
    assert service.deliver_pending() == 0
    assert (message.status, message.attempts) == ("failed", 1) and "93000" in message.last_error
    assert hook.broken_at is not None
    service.post_to_group(community.id, None, service.Note("callout", "二"))
    service.deliver_pending()
    assert db.session.query(OutboxMessage).order_by(OutboxMessage.id.desc()).first().status == "failed"

    wecom.keys.add("new-key")  # the coordinator adds the robot again with its new webhook
    webhooks.update(Actor.system(), hook.id, {"url": wecom.prefix + "new-key"})
    assert hook.broken_at is None


def test_a_person_who_chose_wecom_is_mentioned_in_their_grids_group(wecom, channels, make_grid, make_person):
    channels("wecom")
    grid = make_grid()
    add_robot(wecom, grid.community, grid)
    person = make_person(grid=grid, phone="13900000002", chosen=["wecom"])
    service.notify([person], service.Note("assigned", "新的值守安排", "周一 18:00 红色驿站"))
    db.session.commit()
    assert service.deliver_pending() == 1
    assert wecom.received == [{"msgtype": "text", "text": {"content": "新的值守安排\n周一 18:00 红色驿站",
                                                              "mentioned_mobile_list": ["13900000002"]}}]


def test_a_published_week_posts_its_duty_list_to_the_community_group(district, wecom, channels):
    channels("wecom")
    add_robot(wecom, district["community"])
    api = district["coordinator"]
    done = plan(api, district["community_id"])
    week = api.get(f"/roster/weeks/{done['week_id']}").json
    assert api.post(f"/roster/weeks/{week['id']}/publish", json={"version": week["version"]}).status_code == 201
    assert service.deliver_pending() == 1
    [post] = wecom.received
    content = post["markdown"]["content"]
    assert post["msgtype"] == "markdown" and WEEK in content.splitlines()[0]
    assert "红色驿站：" in content and "志愿者" in content  # station and the names on duty
    assert len(content.splitlines()) == 1 + 3  # the title, then one line per filled shift with its two people


def test_coordinators_set_the_robots_of_their_own_scope_only(wecom, make_grid, make_user, api_as):
    grid, elsewhere = make_grid(), make_grid()
    own = api_as(make_user(communities=[grid.community]))
    url = wecom.prefix + "good-key"
    created = own.post("/group-webhooks", json={"community_id": grid.community_id, "url": url, "label": "社区群"})
    assert created.status_code == 201, created.json
    assert "good-key" not in str(created.json) and created.json["masked_url"].endswith("…-key")
    assert own.post("/group-webhooks", json={"community_id": grid.community_id, "url": url}).status_code == 409
    assert own.post("/group-webhooks", json={"community_id": elsewhere.community_id, "url": url}).status_code == 404
    assert own.post("/group-webhooks", json={"community_id": grid.community_id, "grid_id": grid.id,
                                             "url": "http://attacker.example/hook?key=x"}).status_code == 422
    grid_only = api_as(make_user(grids=[grid]))
    assert grid_only.get("/group-webhooks").json["total"] == 0  # the community's robot is not theirs
    assert grid_only.delete(f"/group-webhooks/{created.json['id']}").status_code == 404
    mine = grid_only.post("/group-webhooks", json={"community_id": grid.community_id, "grid_id": grid.id, "url": url})
    assert mine.status_code == 201
    assert own.patch(f"/group-webhooks/{created.json['id']}", json={"label": "永安志愿者群"}).json["label"] == \
        "永安志愿者群"


def test_the_group_robot_page_adds_shows_masked_and_removes(wecom, make_grid, make_user, app_ctx):
    from tests.support.pages import logged_in, post, text_of

    grid = make_grid()
    make_user(communities=[grid.community], username="coord")
    client = logged_in(app_ctx, "coord")
    refused = post(client, "/group-webhooks", {"community_id": grid.community_id, "url": "https://example.cn/x"},
                   "/group-webhooks")
    assert refused.status_code == 422 and db.session.query(GroupWebhook).count() == 0
    added = post(client, "/group-webhooks", {"community_id": grid.community_id, "grid_id": grid.id,
                                             "url": wecom.prefix + "good-key", "label": "一网格群"}, "/group-webhooks")
    assert added.status_code == 302
    page = text_of(client.get("/group-webhooks"))
    assert "一网格群" in page and "good-key" not in page and "key=…-key" in page
    hook = db.session.query(GroupWebhook).one()
    assert post(client, f"/group-webhooks/{hook.id}/delete", {}, "/group-webhooks").status_code == 302
    assert db.session.query(GroupWebhook).count() == 0
