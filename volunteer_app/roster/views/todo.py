"""The roster's part of the coordinator's to-do list: answers missing, declines to cover, call-outs still calling."""
from flask import url_for
from flask_babel import ngettext
from sqlalchemy import select

from ...accounts.policy import Actor
from ...clock import now_local, week_label
from ...extensions import db
from ...places.models import Community
from ...todo import TodoItem
from .. import service, urgent


def roster_todo(actor: Actor) -> list[TodoItem]:
    items = []
    needs = service.weeks_needing_attention(actor, now_local())
    communities = dict(db.session.execute(select(Community.id, Community.name).where(
        Community.id.in_({n.week.community_id for n in needs}))).all()) if needs else {}
    for need in needs:
        where = {"week": week_label(need.week.week), "community": communities.get(need.week.community_id, "")}
        url = url_for("roster_pages.roster_week", week_id=need.week.id, _anchor="live")
        items.append(TodoItem("declines", need.declines_to_cover, ngettext(
            "%(community)s, %(week)s: %(num)s place left empty by a decline",
            "%(community)s, %(week)s: %(num)s places left empty by declines", need.declines_to_cover, **where),
            url, urgent=True))
        items.append(TodoItem("answers", need.unanswered, ngettext(
            "%(community)s, %(week)s: %(num)s duty waits for the volunteer's answer",
            "%(community)s, %(week)s: %(num)s duties wait for the volunteers' answers", need.unanswered, **where), url))
    calling = urgent.calling_count(actor)
    items.append(TodoItem("callouts", calling, ngettext(
        "%(num)s emergency call-out is still calling", "%(num)s emergency call-outs are still calling", calling),
        url_for("roster_pages.callouts"), urgent=True))
    return items
