"""Full phone numbers for those who must call (issue 11) and masking decided by who is asking (issue 12).

Lists and records mask numbers for accounts without the PII permission (API and pages alike); staff see
the full number of someone they manage where a page's task needs it (a call-out's invited volunteer, a
request's resident, a follow-up call, the printed duty sheet), and each reveal writes an audit row naming
the page. A registry export with full numbers is an audited choice of accounts with the PII permission.
"""
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tests.support.pages import logged_in, text_of
from tests.support.policy_matrix import Entry, check_entry
from volunteer_app.accounts.models import AuditLog
from volunteer_app.accounts.policy import Actor
from volunteer_app.errors import NotFound
from volunteer_app.extensions import db
from volunteer_app.people import contact, schemas, transfer
from volunteer_app.people.contact import Purpose
from volunteer_app.pii import Output
from volunteer_app.roster import service as roster
from volunteer_app.roster.models import Assignment, AssignmentStatus, CallOut, CallOutInvite, Demand, DemandKind
from volunteer_app.service_requests.models import FollowUp, RequestState, ServiceLocation, ServiceRequest, ServiceType

WEEK = "2026-W49"
START = datetime(2026, 12, 1, 18, 0)  # the Tuesday of WEEK
STAFF = frozenset({"admin", "coordinator"})
MANAGERS = STAFF | {"grid_worker"}  # the grid worker manages the place's grid: its residents' requests


# --- the pages' records, built in a place ---------------------------------------------------------------

def duty(place, status=AssignmentStatus.assigned) -> Demand:
    """A week of the place with a published duty of its volunteer."""
    week = roster.open_week(place.community, WEEK)
    demand = Demand(week=week, kind=DemandKind.shift, title="晚间值守", station_id=place.station.id, start=START,
                    end=START + timedelta(hours=2), needed=1, skills=[], priority=3, lat=place.station.lat,
                    lon=place.station.lon)
    db.session.add(demand)
    db.session.flush()
    db.session.add(Assignment(week_id=week.id, demand_id=demand.id, volunteer_id=place.volunteer.id, status=status))
    db.session.flush()
    return demand


def callout(place, volunteer=None) -> CallOut:
    """An open call-out of the place's community inviting its volunteer (or ``volunteer``)."""
    task = Demand(week=roster.open_week(place.community, WEEK), kind=DemandKind.task, title="积水清理",
                  station_id=place.station.id, start=START, end=START + timedelta(hours=1), needed=1, skills=[],
                  priority=3, lat=place.station.lat, lon=place.station.lon)
    db.session.add(task)
    row = CallOut(community_id=place.community.id, demand=task, place="红色驿站", radius_m=1000, wave=1, accepted=0,
                  reach={}, next_wave_at=datetime.now() + timedelta(hours=1))
    row.invites.append(CallOutInvite(volunteer_id=(volunteer or place.volunteer).id, rank=1, distance_m=100))
    db.session.add(row)
    db.session.flush()
    return row


def service_request(world, place) -> ServiceRequest:
    """A request of the place's resident, filed by the admin (someone none of the other actors is)."""
    menu = db.session.scalar(select(ServiceType).where(ServiceType.community_id == place.community.id)) or \
        ServiceType(community_id=place.community.id, code="repair", name="维修", duration_min=30,
                    location=ServiceLocation.home)
    row = ServiceRequest(community_id=place.community.id, grid_id=place.grid.id, building_id=place.building.id,
                         resident_id=place.resident.id, filed_by_id=world.users["admin"].id, service_type=menu,
                         description="水管漏水",
                         state=RequestState.submitted, submitted_at=START)
    db.session.add_all([menu, row])
    db.session.flush()
    return row


def follow_up(world, place) -> FollowUp:
    request = service_request(world, place)
    row = FollowUp(request_id=request.id, community_id=place.community.id, grid_id=place.grid.id,
                   reason_code="low_rating", reason="评分 1")
    db.session.add(row)
    db.session.flush()
    return row


def reveals() -> list[tuple]:
    db.session.expire_all()
    return [(row.user_id, row.entity, row.entity_id, row.changes["purpose"], row.changes.get("page"),
             row.changes.get("page_id"))
            for row in db.session.scalars(select(AuditLog).where(AuditLog.action == "reveal").order_by(AuditLog.id))]


def some(found) -> None:
    if not found:
        raise NotFound("nothing offered")


# --- who may reveal what --------------------------------------------------------------------------------

ENTRIES = [
    Entry("reveal_phone.callout", lambda w, a, p: contact.reveal_phone(a, Purpose.callout, callout(p).id,
                                                                       p.volunteer.id)),
    Entry("reveal_phone.duty_sheet", lambda w, a, p: contact.reveal_phone(a, Purpose.duty_sheet, duty(p).week_id,
                                                                          p.volunteer.id)),
    Entry("reveal_phone.request", lambda w, a, p: contact.reveal_phone(a, Purpose.request, service_request(w, p).id,
                                                                       p.resident.id), allowed=MANAGERS),
    Entry("reveal_phone.follow_up", lambda w, a, p: contact.reveal_phone(a, Purpose.follow_up, follow_up(w, p).id,
                                                                         p.resident.id), allowed=MANAGERS),
    Entry("reveal_phones.duty_sheet", lambda w, a, p: some(contact.reveal_phones(a, Purpose.duty_sheet,
                                                                                 duty(p).week_id))),
    Entry("revealable.callout", lambda w, a, p: some(contact.revealable(a, Purpose.callout, callout(p).id))),
    Entry("revealable.request", lambda w, a, p: some(contact.revealable(a, Purpose.request, service_request(w, p).id)),
          allowed=MANAGERS),
    # the admin of the shared world has the PII permission; the coordinators have not
    Entry("export_file.full_numbers", lambda w, a, p: transfer.export_file(
        a, transfer.VOLUNTEERS, "csv", p.community.id, full_numbers=True), allowed=frozenset({"admin"})),
]


@pytest.mark.parametrize("entry", ENTRIES, ids=str)
def test_each_reveal_with_each_role(world, entry):
    check_entry(world, entry)


def test_a_reveal_is_only_of_someone_the_page_calls_and_the_actor_manages(world, make_volunteer):
    coordinator, here, elsewhere = world.actor("coordinator"), world.here, world.elsewhere
    stranger = make_volunteer(grid=here.grid, name="未受邀")
    on_callout = callout(here)
    with pytest.raises(NotFound):  # in scope, but not invited: this page does not need their number
        contact.reveal_phone(coordinator, Purpose.callout, on_callout.id, stranger.id)
    with pytest.raises(NotFound):  # invited from beyond the coordinator's communities
        contact.reveal_phone(coordinator, Purpose.callout, callout(here, volunteer=elsewhere.volunteer).id,
                             elsewhere.volunteer.id)
    with pytest.raises(NotFound):  # the page of another community
        contact.reveal_phone(coordinator, Purpose.callout, callout(elsewhere).id, elsewhere.volunteer.id)
    assert contact.revealable(coordinator, Purpose.callout, on_callout.id) == {here.volunteer.id}
    assert contact.revealable(coordinator, Purpose.callout, callout(elsewhere).id) == set()  # offers, never 404s
    assert reveals() == []


def test_every_reveal_writes_one_audit_row_naming_the_page(world):
    coordinator, here = world.actor("coordinator"), world.here
    on_callout, request = callout(here), service_request(world, here)
    assert contact.reveal_phone(coordinator, Purpose.callout, on_callout.id, here.volunteer.id) == here.volunteer.phone
    assert contact.reveal_phone(coordinator, Purpose.request, request.id, here.resident.id) == here.resident.phone
    user = world.users["coordinator"].id
    assert reveals() == [(user, "volunteers", str(here.volunteer.id), "callout", "callouts", on_callout.id),
                         (user, "residents", str(here.resident.id), "request", "service_requests", request.id)]
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "reveal")).first()
    assert here.volunteer.phone not in str(row.changes)  # the log says whose number, never the number


def test_the_duty_sheet_shows_who_is_on_it_not_who_declined_or_was_removed(world, make_volunteer):
    here = world.here
    demand = duty(here)
    declined, removed = make_volunteer(grid=here.grid, name="请假"), make_volunteer(grid=here.grid, name="换下")
    for volunteer, status in ((declined, AssignmentStatus.declined), (removed, AssignmentStatus.removed)):
        db.session.add(Assignment(week_id=demand.week_id, demand_id=demand.id, volunteer_id=volunteer.id,
                                  status=status))
    db.session.flush()
    phones = contact.reveal_phones(world.actor("coordinator"), Purpose.duty_sheet, demand.week_id)
    assert phones == {here.volunteer.id: here.volunteer.phone}
    assert [r[1:4] for r in reveals()] == [("volunteers", str(here.volunteer.id), "duty_sheet")]


# --- masking decided by the actor, not read from the request -----------------------------------------------

def test_schemas_mask_unless_the_actor_they_dump_for_sees_numbers(world, make_user):
    volunteer = world.here.volunteer
    masked = volunteer.phone[:3] + "****" + volunteer.phone[-4:]
    assert schemas.VolunteerSchema().dump(volunteer)["phone"] == masked  # no context: masked
    with Output({"actor": world.actor("coordinator")}):
        assert schemas.VolunteerSchema().dump(volunteer)["phone"] == masked
    with Output({"actor": Actor.of(make_user(communities=[world.here.community], pii=True))}):
        assert schemas.VolunteerSchema().dump(volunteer)["phone"] == volunteer.phone
    assert schemas.VolunteerSchema().dump(volunteer)["phone"] == masked  # the context ended with the block


def test_api_lists_mask_and_the_audited_reveal_shows_one_number(world, api_as, make_user):
    here = world.here
    on_callout = callout(here)
    db.session.commit()
    coordinator = api_as(world.users["coordinator"])
    listed = coordinator.get("/volunteers", query_string={"community_id": here.community.id}).json["items"]
    assert [v["phone"] for v in listed] == [here.volunteer.phone[:3] + "****" + here.volunteer.phone[-4:]]
    residents = coordinator.get("/residents").json["items"]
    assert all("*" in r["phone"] for r in residents) and residents

    answer = coordinator.post("/phone-reveals", json={"purpose": "callout", "record_id": on_callout.id,
                                                      "person_id": here.volunteer.id})
    assert answer.status_code == 200, answer.json
    assert answer.json == {"purpose": "callout", "record_id": on_callout.id, "person_id": here.volunteer.id,
                           "phone": here.volunteer.phone}
    assert answer.headers["Cache-Control"] == "no-store"
    assert reveals() == [(world.users["coordinator"].id, "volunteers", str(here.volunteer.id), "callout",
                          "callouts", on_callout.id)]
    # the list is as masked as before: a reveal is one number on one page, not a new right
    assert "*" in coordinator.get(f"/volunteers/{here.volunteer.id}").json["phone"]

    trusted = api_as(make_user(communities=[here.community], pii=True))
    assert trusted.get(f"/volunteers/{here.volunteer.id}").json["phone"] == here.volunteer.phone
    assert "*" in coordinator.get(f"/volunteers/{here.volunteer.id}").json["phone"]  # nothing carried over

    audit = api_as(world.users["admin"]).get("/audit", query_string={"action": "reveal"}).json["items"]
    assert [(a["entity"], a["entity_id"], a["changes"]["purpose"]) for a in audit] == [
        ("volunteers", str(here.volunteer.id), "callout")]


def test_api_reveal_refusals(world, api_as):
    here, elsewhere = world.here, world.elsewhere
    here_callout, away_callout = callout(here), callout(elsewhere)
    db.session.commit()
    coordinator = api_as(world.users["coordinator"])

    def reveal(api, **body):
        return api.post("/phone-reveals", json={"purpose": "callout", "record_id": here_callout.id,
                                                "person_id": here.volunteer.id, **body})

    assert reveal(coordinator, record_id=away_callout.id, person_id=elsewhere.volunteer.id).status_code == 404
    assert reveal(coordinator, person_id=elsewhere.volunteer.id).status_code == 404
    assert reveal(api_as(world.users["volunteer"])).status_code == 403
    bad = reveal(coordinator, purpose="volunteer_list")
    assert bad.status_code == 422 and "purpose" in str(bad.json["errors"])
    assert reveals() == []


# --- the pages ---------------------------------------------------------------------------------------------

def reveal_form(html: str) -> str:
    found = re.search(r'<form method="post" action="([^"]+/phone)"', html)
    assert found, "no 查看号码 button"
    return found.group(1)


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_callout_page_masks_and_reveals_one_number_on_asking(app, world):
    here = world.here
    on_callout = callout(here)
    db.session.commit()
    browser = logged_in(app, world.users["coordinator"].username)
    page = text_of(browser.get(f"/roster/callouts/{on_callout.id}"))
    masked = here.volunteer.phone[:3] + "****" + here.volunteer.phone[-4:]
    assert masked in page and here.volunteer.phone not in page and 'http-equiv="refresh"' in page
    assert "onclick" not in page.split("<h2>", 1)[1] and "<script>" not in page  # works without script (CSP)

    shown = browser.post(reveal_form(page), data={"csrf_token": csrf(page), "person_id": here.volunteer.id})
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    html = text_of(shown)
    assert f'href="tel:{here.volunteer.phone}"' in html
    assert 'http-equiv="refresh"' not in html  # not refreshed away while the coordinator dials
    assert [r[1:4] for r in reveals()] == [("volunteers", str(here.volunteer.id), "callout")]
    assert here.volunteer.phone not in text_of(browser.get(f"/roster/callouts/{on_callout.id}"))


def test_request_and_follow_up_pages_reveal_the_residents_number(app, world):
    here = world.here
    request, followed = service_request(world, here), follow_up(world, here)
    db.session.commit()
    browser = logged_in(app, world.users["grid_worker"].username)
    for path, purpose in ((f"/service-requests/{request.id}", "request"), (f"/follow-ups/{followed.id}", "follow_up")):
        page = text_of(browser.get(path))
        assert here.resident.phone not in page
        shown = browser.post(reveal_form(page), data={"csrf_token": csrf(page), "person_id": here.resident.id})
        assert shown.status_code == 200 and f'href="tel:{here.resident.phone}"' in text_of(shown)
        assert reveals()[-1][1:4] == ("residents", str(here.resident.id), purpose)
    away = service_request(world, world.elsewhere)
    db.session.commit()
    page = text_of(browser.get(f"/service-requests/{request.id}"))
    refused = browser.post(f"/service-requests/{away.id}/phone", data={"csrf_token": csrf(page),
                                                                      "person_id": world.elsewhere.resident.id})
    assert refused.status_code == 404 and len(reveals()) == 2


def test_pii_accounts_see_numbers_without_a_button_and_others_see_none(app, world, make_user):
    here = world.here
    on_callout = callout(here)
    db.session.commit()
    trusted = make_user(communities=[here.community], pii=True)
    page = text_of(logged_in(app, trusted.username).get(f"/roster/callouts/{on_callout.id}"))
    assert here.volunteer.phone in page and "/phone" not in page
    assert here.volunteer.phone in text_of(logged_in(app, trusted.username).get("/volunteers"))
    assert here.volunteer.phone not in text_of(logged_in(app, world.users["coordinator"].username).get("/volunteers"))


def test_the_printed_duty_sheet_shows_numbers_only_when_chosen(app, world):
    here = world.here
    week_id = duty(here).week_id
    db.session.commit()
    browser = logged_in(app, world.users["coordinator"].username)
    sheet = text_of(browser.get(f"/roster/weeks/{week_id}/print"))
    assert here.volunteer.name in sheet and here.volunteer.phone[-4:] not in sheet
    assert f'action="/roster/weeks/{week_id}/print"' in sheet
    full = browser.post(f"/roster/weeks/{week_id}/print", data={"csrf_token": csrf(sheet)})
    assert full.status_code == 200 and full.headers["Cache-Control"] == "no-store"
    assert here.volunteer.phone in text_of(full)
    assert [r[1:4] for r in reveals()] == [("volunteers", str(here.volunteer.id), "duty_sheet")]


def test_the_import_page_offers_full_numbers_only_to_pii_accounts(app, world):
    assert "full_numbers" not in text_of(logged_in(app, world.users["coordinator"].username).get("/io/"))
    assert 'name="full_numbers"' in text_of(logged_in(app, world.users["admin"].username).get("/io/"))
