"""走访覆盖率 and the other visit figures, computed on a known month of visits."""
from datetime import date, datetime

import pytest

from volunteer_app.errors import NotFound
from volunteer_app.extensions import db
from volunteer_app.service_requests.models import RequestState, ServiceRequest, Wish
from volunteer_app.visits import service
from volunteer_app.visits.models import VisitKind

NOVEMBER = (date(2026, 11, 1), date(2026, 12, 1))


@pytest.fixture()
def november(area, record, clock):
    """Grid A (王奶奶, 李大爷, 张家, 赵家) and grid B (刘家, 陈阿姨); in November 王奶奶 twice, 张家, 刘家 and
    building A as a whole; 赵家 on the last minute of October, 刘家 again on the first of December."""
    first = record("grid_worker", "王奶奶", at=datetime(2026, 11, 2, 10, 0), kind=VisitKind.key_group, needs=[
        {"description": "帮忙换了灯泡", "solved_on_spot": True}, {"description": "下水道堵了"},
        {"description": "想要收音机"}])
    record("grid_worker", "王奶奶", at=datetime(2026, 11, 20, 10, 0))
    record("grid_worker", "张家", at=datetime(2026, 11, 10, 19, 0), needs=[{"description": "路灯太暗"}])
    record("coordinator", "刘家", at=datetime(2026, 11, 15, 10, 0))
    record("grid_worker", None, at=datetime(2026, 11, 12, 20, 0), kind=VisitKind.night)
    record("grid_worker", "赵家", at=datetime(2026, 10, 31, 23, 59), needs=[{"description": "十月的事"}])
    clock.set(datetime(2026, 12, 1, 8, 0))
    record("coordinator", "刘家", at=datetime(2026, 12, 1, 0, 0))
    clock.set(datetime(2026, 11, 30, 9, 0))
    resident = area.residents["王奶奶"]
    request = ServiceRequest(community_id=resident.community_id, grid_id=resident.grid_id,
                             building_id=resident.building_id, resident_id=resident.id,
                             filed_by_id=area.users["grid_worker"].id, service_type_id=area.repair.id,
                             description="下水道堵了", submitted_at=datetime(2026, 11, 2, 11, 0),
                             state=RequestState.resolved)
    wish = Wish(community_id=resident.community_id, grid_id=resident.grid_id, resident_id=resident.id,
                posted_by_id=area.users["grid_worker"].id, title="收音机")
    first.needs[1].request, first.needs[2].wish = request, wish
    db.session.commit()


def rows(report, kind: str) -> dict:
    return {row["name"]: row["figures"] for row in report[kind]}


def test_coverage_is_households_visited_at_least_once_in_the_month_over_households(area, november):
    report = service.report(area.actor("coordinator"), *NOVEMBER)
    grids = rows(report, "grids")
    a, b = grids["第一网格"], grids["第二网格"]
    assert (a.households, a.households_visited, a.coverage) == (4, 2, 0.5)  # 王奶奶 (twice) and 张家
    assert (b.households, b.households_visited, b.coverage) == (2, 1, 0.5)  # 刘家; December's visit is not November's
    assert (a.visits, b.visits) == (4, 1)  # the building's night visit is a visit, covering no household
    community = rows(report, "communities")["维北社区"]
    assert (community.households, community.households_visited, community.coverage) == (6, 3, 0.5)
    assert report["totals"].coverage == 0.5


def test_needs_raised_passed_on_and_resolved_count_under_their_visits_month(area, november):
    totals = service.report(area.actor("coordinator"), *NOVEMBER)["totals"]
    assert (totals.needs_raised, totals.needs_solved_on_spot, totals.needs_to_requests, totals.needs_to_wishes,
            totals.needs_resolved, totals.resolution_rate) == (4, 1, 1, 1, 2, 0.5)
    october = service.report(area.actor("coordinator"), date(2026, 10, 1), date(2026, 11, 1))["totals"]
    assert (october.needs_raised, october.households_visited, october.coverage) == (1, 1, round(1 / 6, 4))


def test_priority_group_residents_overdue_now_per_grid(area, november):
    report = service.report(area.actor("coordinator"), *NOVEMBER)
    grids = rows(report, "grids")
    # 王奶奶 weekly, last 11-20; 李大爷 never; 赵家 monthly, last 10-31 (due 11-30); 陈阿姨 never.
    assert (grids["第一网格"].key_group_residents, grids["第一网格"].key_group_overdue) == (3, 2)
    assert (grids["第二网格"].key_group_residents, grids["第二网格"].key_group_overdue) == (1, 1)


def test_each_actor_counts_what_they_reach(area, november):
    worker = service.report(area.actor("grid_worker"), *NOVEMBER)
    assert worker["communities"] == [] and list(rows(worker, "grids")) == ["第一网格"]
    assert (worker["totals"].households, worker["totals"].coverage) == (4, 0.5)
    stranger = service.report(area.actor("stranger"), *NOVEMBER)
    assert stranger["totals"].households == 1 and stranger["totals"].coverage == 0.0
    with pytest.raises(NotFound):
        service.report(area.actor("coordinator"), *NOVEMBER, community_id=area.elsewhere.community_id)
    admin = service.report(area.actor("admin"), *NOVEMBER, community_id=area.community.id)
    assert admin["totals"].coverage == 0.5 and list(rows(admin, "communities")) == ["维北社区"]
