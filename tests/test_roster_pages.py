"""Roster pages with the Flask test client: templates, plan → review → publish, answers,
swaps, call-outs, the calendar link and the inbox; CSRF, ownership and scope."""
import re
import pytest
from sqlalchemy import func, select

from solver.model import parse_minute

from tests.support.pages import csrf_token, logged_in, post, text_of
from tests.support.roster import WEEK, district, make_template  # noqa: F401 (fixtures)
from volunteer_app.extensions import db
from volunteer_app.notifications.models import Notification
from volunteer_app.roster.models import (
    Assignment, AssignmentStatus, CallOut, DraftAssignment, JobStatus, PairRule, PlanJob, RosterVersion, RosterWeek,
    ShiftTemplate, SwapRequest,
)

@pytest.fixture()
def coord(district, app_ctx):
    return logged_in(app_ctx, "coord")


def plan(coord, district, week=WEEK) -> int:
    """Plan through the page: POST → job page → (eager job done) → the review; returns the week id."""
    started = post(coord, "/roster/plan", {"community_id": district["community_id"], "week": week}, "/roster/plan")
    assert started.status_code == 302, text_of(started)
    job_page = started.headers["Location"]
    assert re.fullmatch(r"/roster/jobs/\d+", job_page)
    done = coord.get(job_page)
    assert done.status_code == 302, text_of(done)
    match = re.fullmatch(r"/roster/weeks/(\d+)", done.headers["Location"])
    assert match, done.headers["Location"]
    return int(match.group(1))


def publish(coord, week_id: int):
    page = text_of(coord.get(f"/roster/weeks/{week_id}"))
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    return post(coord, f"/roster/weeks/{week_id}/publish", {"version": version}, f"/roster/weeks/{week_id}")


def live(volunteer_id=None):
    statement = select(Assignment).order_by(Assignment.id)
    if volunteer_id is not None:
        statement = statement.where(Assignment.volunteer_id == volunteer_id)
    rows = db.session.scalars(statement).all()
    db.session.rollback()
    return rows


def alert(response) -> str:
    """The page's error banner, for assertion messages."""
    found = re.search(r'<div class="alert alert-error".*?</div>', text_of(response), re.S)
    return found.group(0) if found else "(no error banner)"


def user_of(district, volunteer_id) -> str:
    return f"vol{district['volunteer_ids'].index(volunteer_id)}"


# --- navigation -----------------------------------------------------------------------------

def test_menus_offer_the_roster_pages_by_role(district, coord, app_ctx):
    html = text_of(coord.get("/roster/plan"))
    for path, label in (("/roster/plan", "排班"), ("/roster/templates", "值守模板"), ("/roster/callouts", "紧急召集"),
                        ("/inbox", "消息")):
        assert re.search(rf'href="{path}"[^>]*>{label}<', html), label
    assert re.search(r'href="/roster/plan" aria-current="page"', html)
    assert 'href="/my/week"' not in html

    volunteer = logged_in(app_ctx, "vol0")
    mine = text_of(volunteer.get("/my/week"))
    assert re.search(r'href="/my/week" aria-current="page">我的值班<', mine)
    assert 'href="/roster/plan"' not in mine and 'href="/inbox"' in mine
    assert volunteer.get("/roster/plan").status_code == 403
    assert volunteer.get("/roster/templates").status_code == 403
    assert volunteer.get("/roster/callouts").status_code == 403


def test_pages_need_login(client):
    for path in ("/roster/plan", "/my/week", "/inbox", "/roster/templates"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path


# --- duty templates -------------------------------------------------------------------------

def test_templates_are_listed_per_station_added_and_edited(district, coord):
    station = district["station"]
    listing = text_of(coord.get("/roster/templates"))
    assert "红色驿站" in listing and listing.count("晚间值守") == 3 and "法律咨询" in listing
    assert "周四 18:00–20:00" in listing

    form = {"station_id": station.id, "title": "节日轮值", "weekday": "5", "start": "10:00", "end": "09:00",
            "needed": "3", "priority": "5", "holiday_rule": "rota", "holiday_needed": "1", "skills": ["nursing"],
            "active": "y"}
    bad = post(coord, "/roster/templates/new", form, "/roster/templates/new")
    assert bad.status_code == 422
    assert re.search(r'id="end-error">结束时间必须晚于开始时间', text_of(bad)), text_of(bad)
    saved = post(coord, "/roster/templates/new", {**form, "end": "12:00"}, "/roster/templates/new")
    assert saved.status_code == 302 and saved.headers["Location"] == f"/roster/templates?station_id={station.id}"
    template = db.session.scalar(select(ShiftTemplate).where(ShiftTemplate.title == "节日轮值"))
    assert (template.weekday, template.needed, template.holiday_rule.value, template.holiday_needed,
            template.skills) == (5, 3, "rota", 1, ["nursing"])
    listing = text_of(coord.get(saved.headers["Location"]))
    assert "周六 10:00–12:00" in listing and "节假日轮值" in listing and "护理" in listing

    edit_page = f"/roster/templates/{template.id}/edit"
    version = re.search(r'name="version" value="(\d+)"', text_of(coord.get(edit_page))).group(1)
    db.session.rollback()
    changed = post(coord, edit_page, {**form, "end": "12:00", "needed": "4", "version": version}, edit_page)
    assert changed.status_code == 302
    stale = post(coord, edit_page, {**form, "end": "12:00", "needed": "5", "version": version}, edit_page)
    assert stale.status_code == 409 and "其他人修改" in text_of(stale)
    db.session.expire_all()
    assert db.session.get(ShiftTemplate, template.id).needed == 4


def test_templates_of_another_community_are_404(district, coord, make_station, make_template, make_community):
    other = make_template(make_station(community=make_community(name="别的社区"), name="别处驿站"))
    assert coord.get(f"/roster/templates/{other.id}/edit").status_code == 404
    assert "别处驿站" not in text_of(coord.get("/roster/templates"))


# --- plan, review, publish ------------------------------------------------------------------

def test_plan_page_defaults_to_next_week_and_names_bad_input(district, coord):
    page = text_of(coord.get("/roster/plan"))
    assert re.search(r'name="week" type="week" value="\d{4}-W\d{2}"', page)
    for week in ("next week", "2026-W99"):
        bad = post(coord, "/roster/plan", {"community_id": district["community_id"], "week": week}, "/roster/plan")
        assert bad.status_code == 422 and 'id="week-error">请按周填写' in text_of(bad), week
    later = text_of(coord.get("/roster/plan"))
    assert "2027 年的法定节假日" not in later
    unknown = post(coord, "/roster/plan", {"community_id": "", "week": "2031-W02"}, "/roster/plan")
    assert unknown.status_code == 422 and "2031 年的法定节假日" in text_of(unknown)  # warned before planning
    assert db.session.scalar(select(func.count()).select_from(PlanJob)) == 0


def test_review_shows_the_grid_names_and_why_a_duty_is_not_full(district, coord):
    week_id = plan(coord, district)
    review = coord.get(f"/roster/weeks/{week_id}")
    html = text_of(review)
    assert review.status_code == 200
    assert "排班完成" in html and "已安排 6 人次" in html  # the job's summary, flashed
    assert "红色驿站" in html and "周一 11-30" in html and "周日 12-06" in html
    drafted = {v for _, v in db.session.execute(select(DraftAssignment.demand_id, DraftAssignment.volunteer_id))}
    db.session.rollback()
    for volunteer in district["volunteers"]:
        if volunteer.id in drafted:
            assert f'<span class="r-chip">{volunteer.name}</span>' in html
    assert "6 / 7" in html  # places filled
    assert "缺 1 人" in html and "没有志愿者具备法律咨询" in html  # the reason, with the skill's name
    assert 'class="r-shift r-short"' in html
    assert "草稿,从未发布" in html and "发布第 1 版" in html
    assert f'href="/api/v1/roster/weeks/{week_id}/export.xlsx"' in html
    assert f'href="/roster/weeks/{week_id}/print"' in html

    workbook = coord.get(f"/api/v1/roster/weeks/{week_id}/export.xlsx")  # the session cookie is enough for GET
    assert workbook.status_code == 200 and workbook.data[:2] == b"PK"
    printed = text_of(coord.get(f"/roster/weeks/{week_id}/print"))
    assert 'href="/static/css/roster.css"' in printed and "值守表" in printed and "<table>" in printed and "(空缺)" in printed
    with coord.get("/static/css/roster.css") as stylesheet:  # the print styles live in the roster stylesheet
        assert "@media print" in stylesheet.get_data(as_text=True)


def test_review_in_english(district, coord):
    coord.get("/lang/en")
    week_id = plan(coord, district)
    html = text_of(coord.get(f"/roster/weeks/{week_id}"))
    assert "Review the roster" in html and "No volunteer has Legal advice." in html and "Mon 11-30" in html
    assert "排班" not in html.split("<main")[1]


def test_pin_ban_move_and_resolve_through_the_forms(district, coord):
    week_id = plan(coord, district)
    page = f"/roster/weeks/{week_id}"
    week = db.session.get(RosterWeek, week_id)
    legal = next(d for d in week.demands if d.skills == ["legal"])
    draft = sorted(db.session.execute(select(DraftAssignment.demand_id, DraftAssignment.volunteer_id)).all())
    db.session.rollback()
    names = {v.id: v.name for v in district["volunteers"]}

    refused = post(coord, f"/roster/weeks/{week_id}/rules",
                   {"demand_id": legal.id, "volunteer_id": district["volunteer_ids"][1], "kind": "pinned"}, page)
    assert refused.status_code == 422
    assert f"{names[district['volunteer_ids'][1]]}缺少技能:法律咨询" in text_of(refused), alert(refused)

    demand_id, moved_from = draft[0]
    on_demand = {v for d, v in draft if d == demand_id}
    moved_to = next(v for v in district["volunteer_ids"] if v not in on_demand)
    moved = post(coord, f"/roster/weeks/{week_id}/move",
                 {"demand_id": demand_id, "from_volunteer_id": moved_from, "to_volunteer_id": moved_to}, page)
    assert moved.status_code == 302 and moved.headers["Location"].endswith(f"#demand-{demand_id}")
    html = text_of(coord.get(page))
    assert f"已从{names[moved_from]}换给{names[moved_to]}" in html
    assert f"{names[moved_from]} 不得安排在此岗位" in html  # the ban is listed with a lift button

    ban = post(coord, f"/roster/weeks/{week_id}/rules",
               {"demand_id": demand_id, "volunteer_id": moved_to, "kind": "forbidden"}, page)
    assert ban.status_code == 302
    rules = {(r.demand_id, r.volunteer_id): r.kind.value for r in db.session.scalars(select(PairRule))}
    db.session.rollback()
    assert rules[(demand_id, moved_to)] == "forbidden" and rules[(demand_id, moved_from)] == "forbidden"
    lifted = post(coord, f"/roster/weeks/{week_id}/rules",
                  {"demand_id": demand_id, "volunteer_id": moved_from, "kind": "clear"}, page)
    assert lifted.status_code == 302

    resolved = post(coord, f"/roster/weeks/{week_id}/resolve", {}, page)
    assert resolved.status_code == 302 and resolved.headers["Location"].startswith("/roster/jobs/")
    back = coord.get(resolved.headers["Location"])
    assert back.headers["Location"] == page
    job = db.session.scalar(select(PlanJob).order_by(PlanJob.id.desc()))
    assert (job.purpose, job.status) == ("resolve", JobStatus.succeeded)
    after = set(db.session.execute(select(DraftAssignment.demand_id, DraftAssignment.volunteer_id)).all())
    db.session.rollback()
    assert (demand_id, moved_to) not in after  # the ban holds
    assert len([1 for d, _ in after if d == demand_id]) == 2  # and someone else fills the place


def test_publish_then_a_stale_publish_says_someone_published_meanwhile(district, coord):
    week_id = plan(coord, district)
    page = f"/roster/weeks/{week_id}"
    stale_version = re.search(r'name="version" value="(\d+)"', text_of(coord.get(page))).group(1)
    published = post(coord, f"{page}/publish", {"version": stale_version, "note": "首次发布"}, page)
    assert published.status_code == 302
    html = text_of(coord.get(page))
    assert "第 1 版已发布" in html and "已发布,第 1 版" in html and "首次发布" in html
    assert html.count("待确认") == 6  # each live assignment with its status
    assert "发布第 2 版" in html

    again = post(coord, f"{page}/publish", {"version": stale_version}, page)
    assert again.status_code == 409
    body = text_of(again)
    assert "已有人发布了本周排班" in body and "刷新页面" in body
    assert 'action="/roster/weeks/%d/publish"' % week_id not in body  # reload first
    assert db.session.scalar(select(func.count()).select_from(RosterVersion)) == 1


def test_job_page_polls_the_api_with_the_session_cookie(district, coord):
    from volunteer_app.accounts.policy import Actor
    from volunteer_app.roster.service import week_for

    week = week_for(Actor.system(), district["community_id"], WEEK)
    job = PlanJob(week_id=week.id, purpose="plan")  # queued, never run: the page shows progress
    db.session.add(job)
    db.session.commit()
    page = coord.get(f"/roster/jobs/{job.id}")
    html = text_of(page)
    assert page.status_code == 200
    assert f'data-api="/api/v1/roster/jobs/{job.id}"' in html and "js/roster.js" in html and "等待开始" in html
    assert '<meta http-equiv="refresh" content="3">' in html  # inside <noscript>
    polled = coord.get(f"/api/v1/roster/jobs/{job.id}")
    assert polled.status_code == 200 and polled.json["status"] == "queued"

    busy = post(coord, "/roster/plan", {"community_id": district["community_id"], "week": WEEK}, "/roster/plan")
    assert busy.status_code == 302 and busy.headers["Location"] == f"/roster/jobs/{job.id}"  # the running one


def test_failed_job_says_why(district, coord):
    from volunteer_app.accounts.policy import Actor
    from volunteer_app.roster.service import week_for

    week = week_for(Actor.system(), district["community_id"], WEEK)
    job = PlanJob(week_id=week.id, purpose="plan", status=JobStatus.failed, error="worker lost")
    db.session.add(job)
    db.session.commit()
    html = text_of(coord.get(f"/roster/jobs/{job.id}"))
    assert "排班失败" in html and "worker lost" in html and "js/roster.js" not in html


# --- volunteers -----------------------------------------------------------------------------

def test_volunteer_confirms_and_declines_and_the_week_is_repaired(district, coord, app_ctx):
    week_id = plan(coord, district)
    assert publish(coord, week_id).status_code == 302
    rows = live()
    keen_id = rows[0].volunteer_id
    decliner_id = next(a.volunteer_id for a in rows if a.volunteer_id != keen_id and a.demand_id != rows[0].demand_id)
    keen = logged_in(app_ctx, user_of(district, keen_id))
    my_page = f"/my/week/{WEEK}"
    html = text_of(keen.get(my_page))
    mine = live(keen_id)
    assert "待确认" in html and "晚间值守" in html and "红色驿站" in html
    first = mine[0]
    confirmed = post(keen, f"/my/assignments/{first.id}/answer", {"version": first.version, "confirm": "true"}, my_page)
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == f"{my_page}#assignment-{first.id}"
    html = text_of(keen.get(my_page))
    assert "谢谢!您已确认" in html and "已确认" in html

    decliner = logged_in(app_ctx, user_of(district, decliner_id))
    theirs = live(decliner_id)[0]
    no_reason = post(decliner, f"/my/assignments/{theirs.id}/answer",
                     {"version": theirs.version, "confirm": "false", "reason": " "}, my_page)
    assert no_reason.status_code == 422 and "请说明不能参加的原因" in text_of(no_reason)
    declined = post(decliner, f"/my/assignments/{theirs.id}/answer",
                    {"version": theirs.version, "confirm": "false", "reason": "家里有事"}, my_page)
    assert declined.status_code == 302
    html = text_of(decliner.get(my_page))
    assert "不能参加" in html and "家里有事" in html

    review = text_of(coord.get(f"/roster/weeks/{week_id}"))
    assert "第 2 版" in review and "已发布,第 2 版" in review and "有志愿者不能参加,系统自动重排" in review
    after = {(a.demand_id, a.volunteer_id): a.status for a in live()}
    assert after[(first.demand_id, keen_id)] == AssignmentStatus.confirmed
    assert after[(theirs.demand_id, decliner_id)] == AssignmentStatus.declined
    takers = [v for (d, v), s in after.items() if d == theirs.demand_id and s == AssignmentStatus.assigned
              and v != decliner_id]
    assert takers, after
    assert db.session.scalar(select(func.count()).select_from(Notification).where(Notification.kind == "declined")) == 1


def test_a_stale_answer_says_the_duty_changed(district, coord, app_ctx):
    week_id = plan(coord, district)
    publish(coord, week_id)
    mine = live()[0]
    volunteer = logged_in(app_ctx, user_of(district, mine.volunteer_id))
    page = f"/my/week/{WEEK}"
    assert post(volunteer, f"/my/assignments/{mine.id}/answer",
                {"version": mine.version, "confirm": "true"}, page).status_code == 302
    stale = post(volunteer, f"/my/assignments/{mine.id}/answer",
                 {"version": mine.version, "confirm": "false", "reason": "临时有事"}, page)
    assert stale.status_code == 409 and "您打开页面后,这项值守已有变动" in text_of(stale)
    assert live(mine.volunteer_id)[0].status == AssignmentStatus.confirmed


def test_other_volunteers_assignments_are_neither_shown_nor_answerable(district, coord, app_ctx):
    week_id = plan(coord, district)
    publish(coord, week_id)
    mine = live()[0]
    stranger_id = next(v for v in district["volunteer_ids"] if v != mine.volunteer_id)
    stranger = logged_in(app_ctx, user_of(district, stranger_id))
    page = f"/my/week/{WEEK}"
    html = text_of(stranger.get(page))
    assert f'id="assignment-{mine.id}"' not in html
    own = {a.id for a in live(stranger_id)}
    assert all(f'id="assignment-{i}"' in html for i in own)
    token = csrf_token(stranger, page)
    assert stranger.post(f"/my/assignments/{mine.id}/answer",
                         data={"version": mine.version, "confirm": "true", "csrf_token": token}).status_code == 404
    assert stranger.post(f"/my/assignments/{mine.id}/swap",
                         data={"to_volunteer_id": stranger_id, "csrf_token": token}).status_code == 404
    assert live(mine.volunteer_id)[0].status == AssignmentStatus.assigned
    assert stranger.get(f"/roster/weeks/{week_id}").status_code == 403


def test_weeks_outside_the_scope_or_the_calendar_are_404(district, coord, app_ctx, make_user, make_community):
    week_id = plan(coord, district)
    job_id = db.session.scalar(select(PlanJob.id))
    db.session.rollback()
    make_user(communities=[make_community(name="别的社区")], username="outsider")
    outsider = logged_in(app_ctx, "outsider")
    for path in (f"/roster/weeks/{week_id}", f"/roster/weeks/{week_id}/print", f"/roster/jobs/{job_id}"):
        assert outsider.get(path).status_code == 404, path
    token = csrf_token(outsider, "/roster/plan")
    publish_path = f"/roster/weeks/{week_id}/publish"
    assert outsider.post(publish_path, data={"version": 1, "csrf_token": token}).status_code == 404
    assert outsider.post(f"/roster/weeks/{week_id}/resolve", data={"csrf_token": token}).status_code == 404
    assert outsider.post("/roster/plan", data={"community_id": district["community_id"], "week": WEEK,
                                               "csrf_token": token}).status_code == 404
    volunteer = logged_in(app_ctx, "vol0")
    for week in ("2026-W99", "garbage", "1999-W01", "2026-W4"):
        assert volunteer.get(f"/my/week/{week}").status_code == 404, week
    assert volunteer.get("/my/week/2026-W49").status_code == 200


def test_forms_without_csrf_token_are_refused(district, coord, app_ctx):
    refused = coord.post("/roster/plan", data={"community_id": district["community_id"], "week": WEEK})
    assert refused.status_code == 403 and "表单已过期" in text_of(refused)
    assert db.session.scalar(select(func.count()).select_from(PlanJob)) == 0
    week_id = plan(coord, district)
    assert coord.post(f"/roster/weeks/{week_id}/publish", data={"version": 1}).status_code == 403
    publish(coord, week_id)
    mine = live()[0]
    volunteer = logged_in(app_ctx, user_of(district, mine.volunteer_id))
    assert volunteer.post(f"/my/assignments/{mine.id}/answer",
                          data={"version": mine.version, "confirm": "true"}).status_code == 403
    assert volunteer.post("/my/calendar-feed").status_code == 403
    assert live(mine.volunteer_id)[0].status == AssignmentStatus.assigned


def test_swap_request_is_approved_on_the_review_page(district, coord, app_ctx):
    week_id = plan(coord, district)
    publish(coord, week_id)
    rows = live()
    load = {v: [a for a in rows if a.volunteer_id == v] for v in district["volunteer_ids"]}
    mine = rows[0]
    day = db.session.get(Assignment, mine.id).demand.start.date()
    db.session.rollback()
    colleague = next(v for v, theirs in load.items() if v != mine.volunteer_id and len(theirs) < 2
                     and all(a.demand.start.date() != day for a in theirs))
    names = {v.id: v.name for v in district["volunteers"]}
    volunteer = logged_in(app_ctx, user_of(district, mine.volunteer_id))
    page = f"/my/week/{WEEK}"
    assert names[colleague] in text_of(volunteer.get(page))  # offered by name
    asked = post(volunteer, f"/my/assignments/{mine.id}/swap", {"to_volunteer_id": colleague, "note": "出差"}, page)
    assert asked.status_code == 302
    assert f"等待审批:{names[colleague]}" in text_of(volunteer.get(page))

    review = text_of(coord.get(f"/roster/weeks/{week_id}"))
    assert f"{names[mine.volunteer_id]} → {names[colleague]}" in review and "出差" in review
    swap_id = db.session.scalar(select(SwapRequest.id))
    db.session.rollback()
    approved = post(coord, f"/roster/swaps/{swap_id}/decision", {"approve": "true"}, f"/roster/weeks/{week_id}")
    assert approved.status_code == 302
    review = text_of(coord.get(f"/roster/weeks/{week_id}"))
    assert "换班已批准" in review and "第 2 版" in review
    statuses = {(a.demand_id, a.volunteer_id): a.status for a in live()}
    assert statuses[(mine.demand_id, colleague)] == AssignmentStatus.assigned
    assert statuses[(mine.demand_id, mine.volunteer_id)] == AssignmentStatus.removed


def test_callout_invites_the_nearest_and_fills(district, coord, app_ctx):
    station = district["station"]
    form = {"title": "积水排查", "community_id": district["community_id"], "needed": "1", "station_id": station.id,
            "lat": "", "lon": "", "start_in": "0", "start_at": "2026-12-01T10:00", "duration": "60"}
    # 10:00 on a workday is outside everyone's usual hours: an emergency calls them all the same, and says so.
    unusual = post(coord, "/roster/callouts", form, "/roster/callouts")
    assert unusual.status_code == 302
    assert "不在平时的服务时间" in text_of(coord.get(unusual.headers["Location"]))

    missing = post(coord, "/roster/callouts", {**form, "station_id": "", "title": ""}, "/roster/callouts")
    assert missing.status_code == 422
    html = text_of(missing)
    assert 'id="title-error"' in html and 'id="lat-error"' in html

    sent = post(coord, "/roster/callouts", {**form, "start_at": "2026-12-01T18:30"}, "/roster/callouts")
    assert sent.status_code == 302
    page = sent.headers["Location"]
    html = text_of(coord.get(page))
    assert "已召集 3 位志愿者" in html or "已召集 5 位志愿者" in html
    assert '<meta http-equiv="refresh" content="10">' in html and "召集中" in html and "0 m" in html
    assert re.search(r"139\*\*\*\*\d{4}", html)  # phones to call, masked without the PII permission
    callout = db.session.scalar(select(CallOut).order_by(CallOut.id.desc()))
    first, second = callout.invites[0].volunteer_id, callout.invites[1].volunteer_id
    db.session.rollback()

    volunteer = logged_in(app_ctx, user_of(district, first))
    week_html = text_of(volunteer.get(f"/my/week/{WEEK}"))
    assert "紧急召集" in week_html and "积水排查" in week_html
    accepted = post(volunteer, f"/my/callouts/{callout.id}/answer", {"accept": "true"}, f"/my/callouts/{callout.id}")
    assert accepted.status_code == 302
    assert "已接受" in text_of(volunteer.get(f"/my/callouts/{callout.id}"))
    late = logged_in(app_ctx, user_of(district, second))
    assert post(late, f"/my/callouts/{callout.id}/answer", {"accept": "true"},
                f"/my/callouts/{callout.id}").status_code == 302
    assert "人已经够了" in text_of(late.get(f"/my/callouts/{callout.id}"))
    stranger_id = next(v for v in district["volunteer_ids"] if v not in {i.volunteer_id for i in callout.invites}) \
        if len(callout.invites) < 5 else None
    if stranger_id:
        assert logged_in(app_ctx, user_of(district, stranger_id)).get(f"/my/callouts/{callout.id}").status_code == 404

    html = text_of(coord.get(page))
    assert "已满员" in html and "1 / 1 人已接受" in html and 'http-equiv="refresh"' not in html

    other = post(coord, "/roster/callouts", {**form, "start_at": "2026-12-02T18:30"}, "/roster/callouts")
    closed = post(coord, other.headers["Location"] + "/close", {}, other.headers["Location"])
    assert closed.status_code == 302 and "已关闭" in text_of(coord.get(other.headers["Location"]))


def test_calendar_link_is_shown_once_and_rotates(district, app_ctx):
    volunteer = logged_in(app_ctx, "vol0")
    page = f"/my/week/{WEEK}"
    made = post(volunteer, "/my/calendar-feed", {"week": WEEK}, page)
    html = text_of(made)
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    url = re.search(r'id="feed-url">(http://localhost/calendar/[\w-]+\.ics)<', html).group(1)
    assert "webcal://localhost/calendar/" in html and "添加" in html
    path = url.removeprefix("http://localhost")
    feed = volunteer.get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert url not in text_of(volunteer.get(page))  # shown once only
    again = post(volunteer, "/my/calendar-feed", {"week": WEEK}, page)
    assert "生成新的日历链接" in text_of(volunteer.get(page)) and again.status_code == 200
    assert volunteer.get(path).status_code == 404  # the old link stops working


def test_inbox_lists_and_marks_only_ones_own_messages(district, coord, app_ctx):
    week_id = plan(coord, district)
    publish(coord, week_id)
    owner_id = live()[0].volunteer_id
    volunteer = logged_in(app_ctx, user_of(district, owner_id))
    inbox = text_of(volunteer.get("/inbox"))
    assert "新的值守安排" in inbox and f'href="/my/week/{WEEK}"' in inbox and "新消息" in inbox
    mine = [n.id for n in db.session.scalars(select(Notification)).all()]
    db.session.rollback()
    marked = post(volunteer, "/inbox/read", {"ids": mine}, "/inbox")  # others' ids are ignored
    assert marked.status_code == 302
    assert "已将 1 条消息标为已读" in text_of(volunteer.get("/inbox"))
    assert "没有未读消息" in text_of(volunteer.get("/inbox?unread=1"))
    unread = db.session.scalar(select(func.count()).select_from(Notification).where(Notification.read_at.is_(None)))
    assert unread == len(mine) - 1
    assert "暂无消息" in text_of(coord.get("/inbox")) or "新消息" not in text_of(coord.get("/inbox"))


def test_coordinator_account_without_volunteer_record_sees_a_hint(district, coord):
    html = text_of(coord.get("/my/week"))
    assert "尚未关联志愿者" in html


def test_template_form_starts_at_the_chosen_station(district, coord):
    page = text_of(coord.get(f"/roster/templates/new?station_id={district['station'].id}"))
    assert f'<option value="{district["station"].id}" selected>' in page
    assert 'type="time"' in page and 'name="holiday_rule"' in page and "节假日不值守" in page


# --- the solver's explanations, in Chinese with names -----------------------------------------

_SPAN = {"start": parse_minute("2026-11-30T18:00"), "end": parse_minute("2026-11-30T20:00")}


@pytest.mark.parametrize("code, params, shown", [
    ("no_skill", {"skills": ["legal"]}, "没有志愿者具备法律咨询。"),
    ("no_skill", {"skills": ["legal", "nursing"], "together": True}, "没有志愿者同时具备法律咨询、护理。"),
    ("few_skilled", {"volunteers": 1, "skills": ["nursing"]}, "只有 1 位志愿者具备护理。"),
    ("few_skilled", {"volunteers": 1, "skills": []}, "总共只有 1 位志愿者。"),
    ("unavailable", {"volunteers": 5, "available": 2, "skills": [], **_SPAN},
     "5 位合适的志愿者中,只有 2 位在 2026-11-30 18:00-20:00 有空。"),
    ("unavailable", {"volunteers": 2, "available": 0, "skills": ["nursing"], **_SPAN},
     "2 位志愿者具备护理,但在 2026-11-30 18:00-20:00 都没空。"),
    ("unavailable", {"volunteers": 5, "available": 0, "skills": [], **_SPAN},
     "5 位志愿者在 2026-11-30 18:00-20:00 都没空。"),
    ("too_far", {"available": 2, "too_far": 2, "nearest_m": 2500, "limits_m": [2000]},
     "有空的志愿者住得太远(超出 2 km,最近的也有 2.5 km)。"),
    ("declined", {"volunteers": ["v1", "v2"]}, "王芳、李强 不能参加这个岗位。"),
    ("pinned_elsewhere", {"volunteers": ["v1"], "demands": ["d7"]}, "王芳 同一时间已固定在 周一 18:00 晚间值守。"),
    ("busy", {"volunteers": ["v1", "v2"], "demands": ["d7"], "higher_priority": True},
     "王芳、李强 同一时间要去更优先的岗位:周一 18:00 晚间值守。"),
    ("max_minutes", {"volunteers": ["v2"]}, "李强 已达到每周服务时长上限。"),
    ("not_found", {"volunteers": ["v1", "v2", "v3", "v4", "v5", "v6", "v7"], "complete": True},
     "王芳、李强、v3、v4、v5 等另外 2 个 可以承担且不违反任何规则。"),
    ("pin_dropped", {"volunteer": "v1", "demand": "d7", "broken": [
        {"code": "lacks_skills", "params": {"volunteer": "v1", "skills": ["legal"]}}]},
     "已取消 王芳 在 周一 18:00 晚间值守 的固定安排:王芳缺少技能:法律咨询。"),
])
def test_solver_reasons_are_worded_from_their_codes_in_chinese_with_names(app_ctx, code, params, shown):
    from volunteer_app.roster.reasons import Names, words

    names = Names(volunteers={1: "王芳", 2: "李强"}, demands={7: "周一 18:00 晚间值守"},
                  skills={"legal": "法律咨询", "nursing": "护理"})
    with app_ctx.test_request_context():
        assert str(words({"code": code, "params": params}, names)) == shown


def test_reasons_stored_before_codes_were_kept_show_their_english(app_ctx):
    from volunteer_app.roster.reasons import Names, stored_words

    with app_ctx.test_request_context():
        assert stored_words(["no volunteer has skill legal"], None, Names()) == ["no volunteer has skill legal"]
        unknown = stored_words(["something new"], [{"code": "new_rule", "params": {}}], Names())
        assert unknown == ["something new"]