"""Every entry point of visits, with each role, at home and in another community: grid workers and
coordinators in their reach, admins everywhere, volunteers and residents nowhere (403)."""
from datetime import date, datetime

import pytest

from tests.support.policy_matrix import Entry, check_entry
from volunteer_app.extensions import db
from volunteer_app.people.models import PriorityGroup
from volunteer_app.service_requests.models import ServiceLocation, ServiceType
from volunteer_app.visits import exports, service
from volunteer_app.visits.models import Visit, VisitKind, VisitNeed

STAFF_IN_REACH = frozenset({"admin", "coordinator", "grid_worker"})
COORDINATORS = frozenset({"admin", "coordinator"})
PAGE = {"page": 1, "per_page": 5}
NOVEMBER = (date(2026, 11, 1), date(2026, 12, 1))


def visit(place) -> Visit:
    """A visit to the place's household that raised one need."""
    record = Visit(community_id=place.community.id, grid_id=place.grid.id, building_id=place.building.id,
                   resident_id=place.resident.id, visited_at=datetime(2026, 11, 2, 10, 0), kind=VisitKind.routine,
                   needs=[VisitNeed(description="楼道灯不亮")])
    db.session.add(record)
    db.session.flush()
    return record


def menu(place) -> int:
    service_type = ServiceType(community_id=place.community.id, code="repair", name="维修",
                               location=ServiceLocation.home)
    db.session.add(service_type)
    db.session.flush()
    return service_type.id


def need_of(call):
    def entry(world, actor, place):
        record = visit(place)
        return call(actor, place, record, record.needs[0].id)
    return entry


ENTRIES = [
    Entry("visits.list", lambda w, a, p: service.visits.list(a, PAGE), STAFF_IN_REACH, placeless=True),
    Entry("visits.get", lambda w, a, p: service.visits.get(a, visit(p).id), STAFF_IN_REACH),
    Entry("visits.create", lambda w, a, p: service.visits.create(a, {"resident_id": p.resident.id}), STAFF_IN_REACH),
    Entry("visits.create_for_building", lambda w, a, p: service.visits.create(a, {"building_id": p.building.id}),
          STAFF_IN_REACH),
    Entry("visits.update", lambda w, a, p: service.visits.update(a, (v := visit(p)), {"version": v.version,
                                                                                       "findings": "补记"}),
          STAFF_IN_REACH),
    Entry("visits.delete", lambda w, a, p: service.visits.delete(a, visit(p)), STAFF_IN_REACH),
    Entry("visit_target.household", lambda w, a, p: service.visit_target(a, p.resident.id, None), STAFF_IN_REACH),
    Entry("visit_target.building", lambda w, a, p: service.visit_target(a, None, p.building.id), STAFF_IN_REACH),
    Entry("needs.add", lambda w, a, p: service.add_need(a, visit(p).id, {"description": "再一件"}), STAFF_IN_REACH),
    Entry("needs.request", need_of(lambda a, p, v, need: service.file_need_as_request(
        a, v.id, need, {"service_type_id": menu(p)})), STAFF_IN_REACH),
    Entry("needs.wish", need_of(lambda a, p, v, need: service.post_need_as_wish(a, v.id, need, {"title": "灯"})),
          STAFF_IN_REACH),
    Entry("needs.menu", lambda w, a, p: service.menu_for(a, visit(p)), STAFF_IN_REACH),
    Entry("households", lambda w, a, p: service.households(a, PAGE), STAFF_IN_REACH, placeless=True),
    Entry("overdue", lambda w, a, p: service.overdue(a, PAGE), STAFF_IN_REACH, placeless=True),
    Entry("overdue_count", lambda w, a, p: service.overdue_count(a), STAFF_IN_REACH, placeless=True),
    Entry("report", lambda w, a, p: service.report(a, *NOVEMBER), STAFF_IN_REACH, placeless=True),
    Entry("report.community", lambda w, a, p: service.report(a, *NOVEMBER, community_id=p.community.id),
          STAFF_IN_REACH),
    Entry("frequencies.read", lambda w, a, p: service.community_frequencies(a, p.community.id), STAFF_IN_REACH),
    Entry("frequencies.write", lambda w, a, p: service.set_frequencies(
        a, p.community.id, [{"group": PriorityGroup.disabled, "every_days": 14}]), COORDINATORS),
    Entry("ledger", lambda w, a, p: exports.ledger_workbook(a, {}), STAFF_IN_REACH, placeless=True),
    Entry("ledger.community", lambda w, a, p: exports.ledger_workbook(a, {"community_id": p.community.id}),
          STAFF_IN_REACH),
]


@pytest.mark.parametrize("entry", ENTRIES, ids=str)
def test_each_visits_entry_point_with_each_role(world, entry):
    check_entry(world, entry)


def test_a_grid_worker_never_lists_another_grids_visits(world, make_grid, make_building, make_resident):
    mine = visit(world.here)
    next_grid = make_grid(world.here.community, name="第二网格")
    neighbour = make_resident(make_building(next_grid), name="邻居")
    theirs = Visit(community_id=neighbour.community_id, grid_id=neighbour.grid_id, building_id=neighbour.building_id,
                   resident_id=neighbour.id, visited_at=datetime(2026, 11, 3, 10, 0), kind=VisitKind.routine)
    db.session.add(theirs)
    db.session.flush()
    listed = {v.id for v in service.visits.list(world.actor("grid_worker"), {"page": 1, "per_page": 50})["items"]}
    assert listed == {mine.id}
    assert {v.id for v in service.visits.list(world.actor("coordinator"), {"page": 1, "per_page": 50})["items"]} == {
        mine.id, theirs.id}
