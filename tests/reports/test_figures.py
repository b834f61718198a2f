"""The dashboard's figures, the 周通报 ranking and the 双报到 report, exactly as the
district of tests/support/reports.py lived them; who sees what; bad periods."""
from datetime import date, timezone

import pytest

from volunteer_app.reports.service import month_of, parse_period, previous, week_of
from volunteer_app.validation import CHINA_TIME

from tests.support.reports import WEEK, get

STATES = ("submitted", "accepted", "dispatched", "in_progress", "resolved", "rated", "rejected", "cancelled",
          "escalated")


def by_name(rows: list[dict]) -> dict[str, dict]:
    return {row["name"]: row["figures"] for row in rows}


def pick(figures: dict, *names: str) -> tuple:
    return tuple(figures[name] for name in names)


def test_request_figures_per_community_and_grid(district):
    report = get(district.api_admin, "/reports/dashboard", period=WEEK)
    assert report["period"] == {"label": WEEK, "kind": "week", "first": "2026-11-30", "last": "2026-12-06"}
    communities = by_name(report["communities"])
    a = communities["维北社区"]
    assert pick(a, "filed", "cancelled", "completed", "completion_rate") == (6, 1, 3, 0.6)  # 3 / (6 − 1)
    assert pick(a, "resolved_on_time", "on_time_rate") == (2, 0.6667)  # r2 was resolved after its deadline
    assert pick(a, "ratings", "mean_rating") == (2, 4.0)  # 5 and 3; r3 is not rated yet
    assert a["overdue_now"] == 2  # r5 waiting to be dispatched, and r0 from the week before
    assert [a["by_state"][s] for s in STATES] == [0, 1, 0, 0, 1, 2, 1, 1, 0]
    grids = by_name(report["grids"])
    assert pick(grids["维北一网格"], "filed", "completion_rate", "on_time_rate", "mean_rating", "overdue_now") == \
        (3, 1.0, 0.6667, 4.0, 1)
    assert pick(grids["维北二网格"], "filed", "cancelled", "completion_rate", "on_time_rate", "overdue_now") == \
        (3, 1, 0.0, None, 1)
    assert pick(communities["同心社区"], "filed", "completion_rate", "on_time_rate", "mean_rating") == (2, 1.0, 1.0, 4.0)
    assert pick(communities["永安社区"], "filed", "completion_rate", "mean_rating") == (0, None, None)
    assert pick(report["totals"], "filed", "completed", "completion_rate", "ratings", "mean_rating") == \
        (9, 5, 0.7143, 4, 3.75)  # 5 / (9 − 2); (5 + 3 + 4 + 3) / 4


def test_hours_duty_places_bookings_and_points(district):
    report = get(district.api_admin, "/reports/dashboard", period=WEEK)
    a, grids = by_name(report["communities"])["维北社区"], by_name(report["grids"])
    # the served duty counts once, through the service log marking it served wrote; each resolved
    # request adds its 30 minutes (r1, r2, r3 in 维北一网格)
    assert pick(a, "hours", "volunteers_served") == (5.0, 3)
    assert pick(grids["维北一网格"], "hours", "volunteers_served") == (3.5, 2)
    assert pick(grids["维北二网格"], "hours", "volunteers_served") == (1.5, 1)
    # Monday needs 2 (one declined, one served), Tuesday needs 1
    assert pick(a, "places_needed", "places_filled", "fill_rate", "places_served") == (3, 2, 0.6667, 1)
    assert pick(a, "bookings_booked", "bookings_waitlisted", "bookings_cancelled") == (2, 1, 1)
    # 30 for the evening duty, 5 for each rated request, 10 entered and reversed
    assert pick(grids["维北一网格"], "points_issued", "points_reversed") == (40, 0)
    assert pick(grids["维北二网格"], "points_issued", "points_reversed") == (10, 10)
    assert pick(a, "points_issued", "points_reversed", "points_redeemed") == (50, 10, 0)
    assert pick(report["totals"], "hours", "volunteers_served", "points_issued") == (6.5, 5, 60)
    weeks = report["hours_by_week"]
    assert [w["week"] for w in weeks] == [f"2026-W{n}" for n in range(42, 50)]
    assert [w["hours"] for w in weeks] == [0.0] * 5 + [1.0, 0.0, 6.5]


def test_top_volunteers_lists_only_those_who_agreed_to_be_named(district, app_ctx):
    """Everyone's hours count; names appear only with the volunteer's consent (their own, or recorded by staff)."""
    assert get(district.api_admin, "/reports/dashboard", period=WEEK)["top_volunteers"] == []
    helper = get(district.api_helper, "/me").get("volunteer_id") or district.helper.id
    version = get(district.api_admin, f"/volunteers/{helper}")["version"]
    consent = district.api_helper.put("/me/ranking-consent", json={"show_in_rankings": True, "version": version})
    assert consent.status_code == 200 and consent.json["show_in_rankings"] is True
    stale = district.api_helper.put("/me/ranking-consent", json={"show_in_rankings": False, "version": version})
    assert stale.status_code == 409 and "version" in stale.json["errors"]
    top = get(district.api_admin, "/reports/dashboard", period=WEEK)["top_volunteers"]
    assert [(row["rank"], row["name"], row["hours"], row["services"]) for row in top] == [(1, "志愿者丙", 1.5, 1)]
    # staff record 党员甲's written consent in the registry: the duty and two requests, 3 hours, come first
    member = district.members[0]
    version = get(district.api_a, f"/volunteers/{member.id}")["version"]
    patched = district.api_a.patch(f"/volunteers/{member.id}", json={"show_in_rankings": True, "version": version})
    assert patched.status_code == 200, patched.json
    top = get(district.api_a, "/reports/dashboard", period=WEEK)["top_volunteers"]
    assert [(row["rank"], row["name"], row["hours"], row["services"]) for row in top] == [
        (1, "党员甲", 3.0, 3), (2, "志愿者丙", 1.5, 1)]
    assert get(district.api_b, "/reports/dashboard", period=WEEK)["top_volunteers"] == []  # not their community
    assert district.api_a.put("/me/ranking-consent", json={"show_in_rankings": True, "version": 1}).status_code == 404


def test_a_month_counts_what_fell_in_it(district):
    november = get(district.api_admin, "/reports/dashboard", period="2026-11", community_id=district.a.id)
    a = november["communities"][0]["figures"]
    assert pick(a, "filed", "completed", "completion_rate", "overdue_now") == (7, 3, 0.5, 2)  # r0 now included
    assert pick(a, "hours", "places_needed", "places_filled", "points_issued", "points_reversed") == (4.5, 2, 1, 40, 0)
    december = get(district.api_admin, "/reports/dashboard", period="2026-12", community_id=district.a.id)
    a = december["communities"][0]["figures"]
    assert pick(a, "filed", "completion_rate", "hours", "places_needed", "places_filled") == (0, None, 1.5, 1, 1)
    assert pick(a, "points_issued", "points_reversed") == (10, 10)
    assert december["hours_by_week"][-1]["week"] == "2026-W53"


def test_points_redeemed_count_in_the_period_the_order_was_fulfilled(district, redemption):
    fulfilled = redemption.fulfilled_at
    day = (fulfilled if fulfilled.tzinfo else fulfilled.replace(tzinfo=timezone.utc)).astimezone(CHINA_TIME).date()
    period = week_of(day)
    report = get(district.api_admin, "/reports/dashboard", period=period.label)
    a, grids = by_name(report["communities"])["维北社区"], by_name(report["grids"])
    assert pick(a, "points_redeemed", "redemptions_fulfilled") == (20, 1)
    assert grids["维北一网格"]["points_redeemed"] == 20 and grids["维北二网格"]["points_redeemed"] == 0
    before = get(district.api_admin, "/reports/dashboard", period=previous(period).label)
    assert before["totals"]["points_redeemed"] == 0


def test_the_weekly_ranking(district):
    rows = get(district.api_admin, "/reports/ranking", period=WEEK)["rows"]
    assert [(row["rank"], row["name"]) for row in rows] == [
        (1, "同心社区"), (2, "兴华社区"), (3, "维北社区"), (4, "永安社区"), (4, "新民社区")]
    # 同心 and 兴华 both completed everything on time: the better mean rating comes first
    assert [pick(row["figures"], "completion_rate", "mean_rating", "on_time_rate") for row in rows[:3]] == [
        (1.0, 4.0, 1.0), (1.0, 3.0, 1.0), (0.6, 4.0, 0.6667)]
    assert rows[3]["figures"]["completion_rate"] is None
    own = get(district.api_a, "/reports/ranking", period=WEEK)["rows"]
    assert [(row["rank"], row["name"]) for row in own] == [(1, "维北社区")]


def test_party_members_service_per_work_unit(district):
    units = {unit["work_unit"]: unit for unit in get(district.api_admin, "/reports/party-units", period=WEEK)["units"]}
    assert list(units) == ["区人民医院", "市税务局"]
    tax = units["市税务局"]
    assert pick(tax, "party_organizations", "member_count", "hours", "posts_due", "posts_kept") == \
        (["市税务局机关党委"], 2, 3.5, 2, 1)
    assert pick(tax, "requests_resolved", "ratings", "mean_rating") == (3, 2, 4.0)
    members = {member["name"]: member for member in tax["members"]}
    assert pick(members["党员甲"], "claimed_posts", "hours", "year_hours", "yearly_target_hours", "posts_due",
                "posts_kept", "requests_resolved", "ratings", "mean_rating") == (1, 3.0, 4.0, 20, 1, 1, 2, 2, 4.0)
    # claimed Tuesday and Wednesday evenings: Tuesday's duty was theirs but not served; r3 not rated
    assert pick(members["党员乙"], "claimed_posts", "hours", "posts_due", "posts_kept", "requests_resolved",
                "mean_rating") == (2, 0.5, 1, 0, 1, None)
    hospital = units["区人民医院"]
    assert pick(hospital, "member_count", "hours", "posts_due", "requests_resolved", "mean_rating") == \
        (1, 1.0, 0, 1, 4.0)
    november = get(district.api_admin, "/reports/party-units", period="2026-11", unit="市税务局")["units"]
    assert [unit["work_unit"] for unit in november] == ["市税务局"]
    members = {member["name"]: member for member in november[0]["members"]}
    assert pick(members["党员甲"], "hours", "year_hours", "requests_resolved") == (4.0, 4.0, 1)  # r2: resolved 12-01


def test_a_coordinator_sees_only_their_scope(district):
    report = get(district.api_a, "/reports/dashboard", period=WEEK)
    assert [row["name"] for row in report["communities"]] == ["维北社区"]
    assert [row["name"] for row in report["grids"]] == ["维北一网格", "维北二网格"]
    assert report["totals"] == report["communities"][0]["figures"]
    units = get(district.api_a, "/reports/party-units", period=WEEK)["units"]
    assert [unit["work_unit"] for unit in units] == ["市税务局"]
    assert district.api_a.get("/reports/dashboard", query_string={"period": WEEK,
                                                                  "community_id": district.b.id}).status_code == 404
    # a grid worker sees their grid only, even when naming its community
    for query in ({}, {"community_id": district.a.id}):
        grid_only = get(district.api_grid, "/reports/dashboard", period=WEEK, **query)
        assert grid_only["communities"] == [] and [row["name"] for row in grid_only["grids"]] == ["维北二网格"]
        assert pick(grid_only["totals"], "filed", "hours", "points_issued", "bookings_booked", "places_needed") == \
            (3, 1.5, 10, 1, 0)
    assert get(district.api_grid, "/reports/ranking", period=WEEK)["rows"] == []
    for path in ("/reports/dashboard", "/reports/ranking", "/reports/party-units", "/reports/dashboard.xlsx"):
        response = district.api_helper.get(path, query_string={"period": WEEK})
        assert response.status_code == 403, path


@pytest.mark.parametrize("period", ["2026-W54", "2025-W53", "2026-W00", "2026-13", "2026-00", "1999-W10", "2026-W4",
                                    "W49", "2026-11-30", "本周", ""])
def test_a_bad_period_is_422_naming_it(admin_api, period):
    for path in ("/reports/dashboard", "/reports/ranking", "/reports/party-units", "/reports/ranking.xlsx"):
        response = admin_api.get(path, query_string={"period": period})
        assert response.status_code == 422, (path, response.json)
        assert "query.period" in response.json["errors"], response.json


def test_the_period_is_required(admin_api):
    response = admin_api.get("/reports/dashboard")
    assert response.status_code == 422 and "query.period" in response.json["errors"]


def test_periods():
    assert (parse_period("2026-W01").first, parse_period("2026-W01").last) == (date(2025, 12, 29), date(2026, 1, 4))
    assert (parse_period("2024-02").first, parse_period("2024-02").last) == (date(2024, 2, 1), date(2024, 2, 29))
    assert previous(parse_period("2026-01")).label == "2025-12"
    assert previous(parse_period("2026-W01")).label == "2025-W52"
    assert week_of(date(2027, 1, 1)).label == "2026-W53" and month_of(date(2026, 12, 31)).label == "2026-12"
    start = parse_period("2026-11").utc_start
    assert (start.tzinfo, start.hour, start.day) == (timezone.utc, 16, 31)  # midnight in China is 16:00 UTC


def test_booked_vs_attended_and_the_attended_duty(district, clock):
    """到场 ticked at the clinic, and the Tuesday duty checked in and out for an hour (scheduled: two)."""
    from datetime import datetime

    api = district.api_a
    booked = [b for b in get(api, "/bookings", per_page=50)["items"] if b["status"] == "booked"]
    assert len(booked) == 2
    early = api.post(f"/bookings/{booked[0]['id']}/attended", json={"attended": True})
    assert early.status_code == 422 and early.json["error"] == "not_started"  # the clinic is on Wednesday
    clock.set(datetime(2026, 12, 2, 10, 0))
    ticked = api.post(f"/bookings/{booked[0]['id']}/attended", json={"attended": True})
    assert ticked.status_code == 200 and ticked.json["attended_at"] == "2026-12-02T10:00"
    week_id = get(api, "/roster/weeks", week=WEEK)["items"][0]["id"]
    tuesday = next(x for x in get(api, f"/roster/weeks/{week_id}")["live"] if x["start"].startswith("2026-12-01"))
    served = api.put(f"/roster/assignments/{tuesday['id']}/attendance",
                     json={"checked_in_at": "2026-12-01T18:00", "checked_out_at": "2026-12-01T19:00"})
    assert served.status_code == 200, served.json

    a = by_name(get(district.api_admin, "/reports/dashboard", period=WEEK)["communities"])["维北社区"]
    assert pick(a, "bookings_booked", "bookings_attended", "attendance_rate") == (2, 1, 0.5)
    assert pick(a, "places_served", "places_checked_in") == (2, 1)
    assert a["hours"] == 6.0  # 5.0 before, and the attended hour (not the two scheduled)
