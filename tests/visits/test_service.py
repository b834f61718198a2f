"""The rules of visits: where a visit belongs, when it happened, who may see it; the overdue
priority-group visits with each community's frequencies; needs passed on as requests or wishes."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tests.support.visits import NOW
from volunteer_app.errors import Conflict, Forbidden, InvalidInput, NotFound
from volunteer_app.extensions import db
from volunteer_app.people.models import PriorityGroup
from volunteer_app.service_requests.models import RequestState, ServiceRequest, Wish
from volunteer_app.visits import service
from volunteer_app.visits.models import Visit, VisitFrequency, VisitKind

PAGE = {"page": 1, "per_page": 50}


def test_a_household_visit_takes_its_place_visitor_and_time_from_the_record(area, record):
    visit = record("grid_worker", "王奶奶", findings="身体不错", kind=VisitKind.key_group,
                   needs=[{"description": "楼道灯不亮", "solved_on_spot": False},
                          {"description": "帮忙换了灯泡", "solved_on_spot": True}])
    resident = area.residents["王奶奶"]
    assert (visit.community_id, visit.grid_id, visit.building_id, visit.resident_id) == (
        resident.community_id, resident.grid_id, resident.building_id, resident.id)
    assert visit.visitor_id == area.users["grid_worker"].id
    assert visit.visited_at == NOW and visit.kind == VisitKind.key_group
    assert [(n.description, n.outcome) for n in visit.needs] == [("楼道灯不亮", "open"), ("帮忙换了灯泡", "solved")]


def test_a_building_visit_covers_no_household(area, record):
    visit = record("coordinator", None, building=area.building_b, kind=VisitKind.night)
    assert visit.resident_id is None and visit.grid_id == area.grid_b.id


@pytest.mark.parametrize("data, field, code", [
    ({}, "resident_id", "place_required"),
    ({"resident": "王奶奶", "building": "building_b"}, "building_id", "other_building"),
    ({"resident": "王奶奶", "visited_at": NOW + timedelta(minutes=11)}, "visited_at", "visit_in_future"),
])
def test_a_visit_needs_a_place_that_fits_and_a_time_not_to_come(area, data, field, code):
    payload = {}
    if "resident" in data:
        payload["resident_id"] = area.residents[data["resident"]].id
    if "building" in data:
        payload["building_id"] = getattr(area, data["building"]).id
    if "visited_at" in data:
        payload["visited_at"] = data["visited_at"]
    with pytest.raises(InvalidInput) as refused:
        service.visits.create(area.actor("coordinator"), payload)
    assert refused.value.code == code and field in refused.value.errors


def test_a_phone_a_few_minutes_ahead_may_record_now(area, record):
    assert record("coordinator", "张家", at=NOW + timedelta(minutes=5)).visited_at == NOW + timedelta(minutes=5)


def test_a_grid_worker_records_and_reads_only_their_own_grid(area, record):
    mine = record("grid_worker", "张家")
    theirs = record("coordinator", "刘家")  # grid B
    worker = area.actor("grid_worker")
    with pytest.raises(InvalidInput) as refused:
        service.visits.create(worker, {"resident_id": area.residents["刘家"].id})
    assert refused.value.code == "out_of_scope"
    assert [v.id for v in service.visits.list(worker, PAGE)["items"]] == [mine.id]
    with pytest.raises(NotFound):
        service.visits.get(worker, theirs.id)
    assert {v.id for v in service.visits.list(area.actor("coordinator"), PAGE)["items"]} == {mine.id, theirs.id}
    assert service.visits.list(area.actor("stranger"), PAGE)["items"] == []
    with pytest.raises(Forbidden):
        service.visits.list(area.actor("volunteer"), PAGE)


def test_the_log_filters_by_month_kind_and_words(area, record):
    record("coordinator", "张家", at=datetime(2026, 10, 31, 20, 0), kind=VisitKind.night)
    november = record("coordinator", "赵家", at=datetime(2026, 11, 2, 10, 0), findings="反映暖气不热")
    coordinator = area.actor("coordinator")
    from datetime import date

    def listed(**args):
        return [v.id for v in service.visits.list(coordinator, {**PAGE, **args})["items"]]
    assert listed(month=date(2026, 11, 1)) == [november.id]
    assert listed(kind=VisitKind.routine) == [november.id]
    assert listed(q="暖气") == [november.id] and listed(q="赵家") == [november.id]


def test_a_correction_keeps_the_place_and_a_visit_whose_needs_went_on_stays(area, record):
    visit = record("coordinator", "张家", findings="初记")
    changed = service.visits.update(area.actor("coordinator"), visit, {"version": visit.version, "findings": "补记"})
    assert changed.findings == "补记" and changed.resident_id == area.residents["张家"].id
    with pytest.raises(Conflict) as stale:
        service.visits.update(area.actor("coordinator"), visit, {"version": 1, "findings": "旧"})
    assert stale.value.code == "stale"
    db.session.rollback()
    kept = record("coordinator", "赵家", needs=[{"description": "想要收音机"}])
    wish = Wish(community_id=kept.community_id, grid_id=kept.grid_id, resident_id=kept.resident_id, posted_by_id=1,
                title="收音机")
    kept.needs[0].wish = wish
    db.session.commit()
    with pytest.raises(Conflict) as passed_on:
        service.visits.delete(area.actor("coordinator"), kept)
    assert passed_on.value.code == "needs_passed_on"
    db.session.rollback()
    service.visits.delete(area.actor("coordinator"), db.session.get(Visit, visit.id))
    db.session.commit()
    assert db.session.get(Visit, visit.id) is None


# --- overdue priority-group visits ------------------------------------------------------------------


def overdue_names(area, who="coordinator", today=None) -> list[str]:
    page = service.overdue(area.actor(who), PAGE, today=today)
    return [due.resident.name for due in page["items"]]


def test_never_visited_priority_residents_are_due_at_once_and_others_never(area):
    assert set(overdue_names(area)) == {"王奶奶", "李大爷", "赵家", "陈阿姨"}
    assert service.overdue_count(area.actor("coordinator")) == 4
    assert set(overdue_names(area, "grid_worker")) == {"王奶奶", "李大爷", "赵家"}


def test_weekly_means_due_seven_days_after_the_last_visit_and_overdue_from_the_eighth(area, record):
    record("coordinator", "王奶奶", at=datetime(2026, 11, 23, 16, 0))  # a week ago (elderly alone: weekly)
    record("coordinator", "李大爷", at=datetime(2026, 11, 22, 10, 0))  # 8 days: disabled is monthly, but alone weekly
    record("coordinator", "赵家", at=datetime(2026, 11, 1, 10, 0))  # 29 days (low income: monthly)
    record("coordinator", "陈阿姨", at=datetime(2026, 11, 29, 10, 0))
    page = service.overdue(area.actor("coordinator"), PAGE)
    assert [(d.resident.name, d.every_days, d.due_on.isoformat(), d.days_overdue) for d in page["items"]] == [
        ("李大爷", 7, "2026-11-29", 1)]
    assert "赵家" in overdue_names(area, today=NOW.date() + timedelta(days=2))  # day 31 of a 30-day interval


def test_a_communitys_own_frequency_replaces_the_default_and_back(area, record):
    record("coordinator", "赵家", at=datetime(2026, 11, 15, 10, 0))  # 15 days ago
    coordinator = area.actor("coordinator")
    rows = service.set_frequencies(coordinator, area.community.id, [{"group": PriorityGroup.low_income,
                                                                     "every_days": 14}])
    db.session.commit()
    assert {(r.group, r.every_days, r.is_default) for r in rows if r.group == PriorityGroup.low_income} == {
        (PriorityGroup.low_income, 14, False)}
    assert "赵家" in overdue_names(area)
    service.set_frequencies(coordinator, area.community.id, [{"group": PriorityGroup.low_income, "every_days": 30}])
    db.session.commit()
    assert "赵家" not in overdue_names(area)
    assert db.session.scalars(select(VisitFrequency)).all() == []  # back to the default: nothing stored


def test_grid_workers_read_the_frequencies_and_coordinators_set_them(area):
    worker = area.actor("grid_worker")
    assert [r.every_days for r in service.community_frequencies(worker, area.community.id)] == [
        service.DEFAULT_EVERY_DAYS[group] for group in PriorityGroup]
    with pytest.raises(NotFound):
        service.set_frequencies(worker, area.community.id, [{"group": PriorityGroup.disabled, "every_days": 10}])
    with pytest.raises(NotFound):
        service.community_frequencies(area.actor("stranger"), area.community.id)


# --- needs passed on ----------------------------------------------------------------------------------


def test_a_need_becomes_a_request_for_the_household_in_one_step_and_only_once(area, record):
    visit = record("grid_worker", "王奶奶", needs=[{"description": "厨房下水道堵了"}])
    worker = area.actor("grid_worker")
    need = service.file_need_as_request(worker, visit.id, visit.needs[0].id, {"service_type_id": area.repair.id})
    db.session.commit()
    request = db.session.get(ServiceRequest, need.request_id)
    assert (request.resident_id, request.description, request.state, request.filed_by_id) == (
        area.residents["王奶奶"].id, "厨房下水道堵了", RequestState.submitted, area.users["grid_worker"].id)
    assert request.address == "1单元101" and need.outcome == "in_progress"
    with pytest.raises(Conflict) as again:
        service.file_need_as_request(worker, visit.id, need.id, {"service_type_id": area.repair.id})
    assert again.value.code == "already_passed_on"
    db.session.rollback()
    request.state = RequestState.resolved
    db.session.commit()
    assert db.session.get(Visit, visit.id).needs[0].outcome == "resolved"


def test_a_building_visits_need_becomes_a_request_for_the_building_but_no_wish(area, record):
    visit = record("coordinator", None, building=area.building_b, needs=[{"description": "单元门禁坏了"}])
    coordinator = area.actor("coordinator")
    with pytest.raises(InvalidInput) as refused:
        service.post_need_as_wish(coordinator, visit.id, visit.needs[0].id, {"title": "门禁"})
    assert refused.value.code == "wish_needs_household"
    db.session.rollback()
    need = service.file_need_as_request(coordinator, visit.id, visit.needs[0].id, {"service_type_id": area.repair.id})
    request = db.session.get(ServiceRequest, need.request_id)
    assert request.resident_id is None and request.building_id == area.building_b.id


def test_a_need_becomes_a_wish_of_the_household(area, record):
    visit = record("coordinator", "陈阿姨", needs=[{"description": "想要一台收音机"}, {"description": "修好了", "solved_on_spot": True}])
    coordinator = area.actor("coordinator")
    need = service.post_need_as_wish(coordinator, visit.id, visit.needs[0].id, {"title": "收音机"})
    db.session.commit()
    wish = db.session.get(Wish, need.wish_id)
    assert (wish.resident_id, wish.title, wish.description) == (area.residents["陈阿姨"].id, "收音机", "想要一台收音机")
    with pytest.raises(Conflict) as solved:
        service.post_need_as_wish(coordinator, visit.id, visit.needs[1].id, {"title": "不必"})
    assert solved.value.code == "solved_on_spot"
    db.session.rollback()
    other = record("coordinator", "刘家")
    with pytest.raises(NotFound):  # a need of another visit
        service.post_need_as_wish(coordinator, other.id, visit.needs[1].id, {"title": "错"})


def test_needs_added_later_count_up_to_the_limit(area, record):
    visit = record("coordinator", "张家", needs=[{"description": f"事项{i}"} for i in range(service.MAX_NEEDS - 1)])
    service.add_need(area.actor("coordinator"), visit.id, {"description": "再一件"})
    with pytest.raises(InvalidInput) as full:
        service.add_need(area.actor("coordinator"), visit.id, {"description": "太多"})
    assert full.value.code == "too_many_needs"
