"""What waits for people is in front of them: the coordinator's home lists the to-do
items (answers missing, declines to cover, call-outs open, requests and approvals),
each a link; a volunteer's landing page lists every duty waiting for an answer,
whatever its week."""
import re
from datetime import timedelta

from sqlalchemy import select

from tests.support.pages import logged_in, text_of
from tests.support.roster import district, make_template  # noqa: F401 (fixtures)
from volunteer_app.accounts.models import User
from volunteer_app.accounts.policy import Actor
from volunteer_app.clock import IsoWeek, today_local
from volunteer_app.extensions import db
from volunteer_app.roster import service
from volunteer_app.roster.models import Assignment, AssignmentStatus

NEXT_WEEK = str(IsoWeek.of(today_local() + timedelta(weeks=1)))


def todo_items(html: str) -> dict[str, tuple[str, str]]:
    """{kind: (link, text)} of the home page's to-do list."""
    return {kind: (href, re.sub(r"<[^>]+>", "", text).strip()) for kind, href, text in re.findall(
        r'<li class="todo-[^"]*" data-kind="([^"]+)"><a href="([^"]+)">(.*?)</a></li>', html, re.S)}


def planned_and_published(district) -> int:
    api = district["coordinator"]
    job = api.post("/roster/plan", json={"community_id": district["community_id"], "week": NEXT_WEEK}).json
    week = api.get(f"/roster/weeks/{job['week_id']}").json
    assert api.post(f"/roster/weeks/{week['id']}/publish", json={"version": week["version"]}).status_code == 201
    return week["id"]


def test_the_home_lists_what_needs_doing_each_item_a_link(district, app_ctx):
    coord = logged_in(app_ctx, "coord")
    assert "todo-" not in text_of(coord.get("/")).split('id="todo"')[1].split("</section>")[0]

    week_id = planned_and_published(district)
    unanswered = db.session.scalars(select(Assignment).where(Assignment.week_id == week_id)).all()
    items = todo_items(text_of(coord.get("/")))
    link, text = items["answers"]
    assert link == f"/roster/weeks/{week_id}#live" and str(len(unanswered)) in text
    assert IsoWeek(NEXT_WEEK).label() in text and "declines" not in items

    # A decline whose repair has not run yet leaves a place empty: an urgent item, listed first.
    volunteer = db.session.get(User, db.session.scalar(select(User.id).where(
        User.volunteer_id == unanswered[0].volunteer_id)))
    service.answer(Actor.of(volunteer), unanswered[0].id, unanswered[0].version, False, "发烧了")
    db.session.commit()
    items = todo_items(text_of(coord.get("/")))
    assert list(items)[0] == "declines" and "1" in items["declines"][1]
    assert items["answers"][1].startswith(district["community"].name)

    called = district["coordinator"].post("/roster/callouts", json={
        "community_id": district["community_id"], "title": "积水清理", "lat": district["station"].lat,
        "lon": district["station"].lon, "needed": 2, "start": f"{today_local() + timedelta(days=1)}T18:30",
        "end": f"{today_local() + timedelta(days=1)}T19:30"})
    assert called.status_code == 201, called.json
    link, text = todo_items(text_of(coord.get("/")))["callouts"]
    assert link == "/roster/callouts" and "1" in text


def test_a_volunteer_sees_duties_waiting_for_an_answer_in_other_weeks(district, app_ctx):
    planned_and_published(district)
    mine = db.session.scalars(select(Assignment).where(Assignment.status == AssignmentStatus.assigned)
                              .order_by(Assignment.id)).all()
    user = db.session.scalar(select(User).where(User.volunteer_id == mine[0].volunteer_id))
    waiting = [a for a in mine if a.volunteer_id == user.volunteer_id]
    page = logged_in(app_ctx, user.username).get("/my/week")  # this week: nothing planned here
    html = text_of(page)
    section = html.split('id="waiting"')[1].split("</section>")[0]
    links = re.findall(r'href="([^"]+)"', section)
    assert links == [f"/my/week/{NEXT_WEEK}#assignment-{a.id}" for a in waiting]

    # Answered duties no longer wait.
    for assignment in waiting:
        service.answer(Actor.of(user), assignment.id, assignment.version, True)
    db.session.commit()
    assert 'id="waiting"' not in text_of(logged_in(app_ctx, user.username).get("/my/week"))
