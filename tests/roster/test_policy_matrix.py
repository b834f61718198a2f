"""Every roster entry point, called by each role on a record of its own community and of another
(``tests/support/policy_matrix.py``): who may plan, publish, call out and mark attendance, and that one's
own duties, invitations and feed are one's own only.

Each call builds what it needs in its place (a week, a duty of the place's volunteer, a call-out
inviting them …) inside the case; ``check_entry`` rolls every case back. A list "reaches" a place
when the place's record is among its rows (``listed``).
"""
import inspect
import re
from datetime import date, datetime, time, timedelta

import pytest

from tests.support.policy_matrix import Entry, check_entry
from volunteer_app.errors import NotFound
from volunteer_app.extensions import db
from volunteer_app.clock import CHINA_TIME
from volunteer_app.roster import exports, hooks, service, swaps, teams, urgent
from volunteer_app.roster.models import (
    Assignment, AssignmentStatus, CallOut, CallOutInvite, Demand, DemandKind, PairRuleKind, PlanJob, ShiftTemplate,
    SwapRequest, Team,
)

WEEK = "2026-W49"
START = datetime(2026, 12, 1, 18, 0)  # the Tuesday of WEEK
BEFORE = datetime(2026, 11, 1, 8, 0)  # "now" for what is still ahead
AT_DUTY = START.replace(tzinfo=CHINA_TIME) + timedelta(minutes=5)  # a scan during the duty
OWN = frozenset({"volunteer"})
PAGE = {"page": 1, "per_page": 100}


@pytest.fixture()
def roster_world(world, make_volunteer):
    """The shared world, each place with a second volunteer to hand a duty to."""
    for place in (world.here, world.elsewhere):
        place.colleague = make_volunteer(grid=place.grid, name="李娜")
    return world


def listed(record, rows) -> None:
    rows = list(rows)
    if record.id not in {row.id for row in rows}:
        raise NotFound("not listed")


def week(place):
    return service.open_week(place.community, WEEK)


def demand(place, kind=DemandKind.shift) -> Demand:
    station = place.station
    row = Demand(week=week(place), kind=kind, title="晚间值守", station_id=station.id, start=START,
                 end=START + timedelta(hours=2), needed=1, skills=[], priority=3, lat=station.lat, lon=station.lon)
    db.session.add(row)
    db.session.flush()
    return row


def duty(place) -> Assignment:
    """A published duty of the place's volunteer, not yet answered."""
    shift = demand(place)
    row = Assignment(week_id=shift.week_id, demand_id=shift.id, volunteer_id=place.volunteer.id,
                     status=AssignmentStatus.assigned)
    db.session.add(row)
    db.session.flush()
    return row


def job(place) -> PlanJob:
    row = PlanJob(week_id=week(place).id, purpose="plan")
    db.session.add(row)
    db.session.flush()
    return row


def swap(place) -> SwapRequest:
    row = SwapRequest(assignment_id=duty(place).id, to_volunteer_id=place.colleague.id, note="")
    db.session.add(row)
    db.session.flush()
    return row


def callout(place) -> CallOut:
    """An open call-out of the place's community, its volunteer invited and its next wave not yet due."""
    task = demand(place, DemandKind.task)
    row = CallOut(community_id=place.community.id, demand=task, place="红色驿站", radius_m=1000, wave=1, accepted=0,
                  reach={}, next_wave_at=datetime.now() + timedelta(hours=1))
    row.invites.append(CallOutInvite(volunteer_id=place.volunteer.id, rank=1, distance_m=100))
    db.session.add(row)
    db.session.flush()
    return row


def callout_in(place) -> dict:
    station = place.station
    return {"title": "积水清理", "start": START, "end": START + timedelta(hours=1), "needed": 1,
            "lat": station.lat, "lon": station.lon}


def template_in(place) -> dict:
    return {"station_id": place.station.id, "weekday": 0, "start": time(18), "end": time(20), "skills": []}


def demand_in(place) -> dict:
    return {"week_id": week(place).id, "title": "义诊", "station_id": place.station.id, "start": START,
            "end": START + timedelta(hours=1)}


def team(place) -> Team:
    """A team of the place's community led by its volunteer."""
    row = Team(community_id=place.community.id, name="应急队", leader_id=place.volunteer.id,
               members=[place.volunteer, place.colleague])
    db.session.add(row)
    db.session.flush()
    return row


def team_in(place) -> dict:
    return {"community_id": place.community.id, "name": "义诊队", "leader_id": place.volunteer.id,
            "member_ids": [place.volunteer.id, place.colleague.id]}


def scan(actor, place):
    """The place volunteer's duty, scanned at the place's station with its live code."""
    duty(place)
    station = place.station
    return service.scan(actor, station.id, service.live_code(station, AT_DUTY), AT_DUTY)


def template(place) -> ShiftTemplate:
    row = ShiftTemplate(station_id=place.station.id, community_id=place.community.id, weekday=0, start=time(18),
                        end=time(20))
    db.session.add(row)
    db.session.flush()
    return row


ENTRIES = [
    # weeks and planning
    Entry("week_for", lambda w, a, p: service.week_for(a, p.community.id, WEEK)),
    Entry("get_week", lambda w, a, p: service.get_week(a, week(p).id)),
    Entry("weeks", lambda w, a, p: listed(week(p), db.session.scalars(service.weeks(a)))),
    Entry("plannable_communities", lambda w, a, p: listed(p.community, service.plannable_communities(a, 100))),
    Entry("versions", lambda w, a, p: service.versions(a, week(p))),
    Entry("request_plan", lambda w, a, p: service.request_plan(a, week(p), "resolve")),
    Entry("get_job", lambda w, a, p: service.get_job(a, job(p).id)),
    # the draft and publishing
    Entry("set_rule", lambda w, a, p: service.set_rule(a, week(p), demand(p).id, p.volunteer.id,
                                                       PairRuleKind.forbidden, "不合适")),
    Entry("reask", lambda w, a, p: service.reask(a, week(p), demand(p).id, p.volunteer.id)),
    Entry("move", lambda w, a, p: service.move(a, week(p), demand(p).id, p.volunteer.id, p.colleague.id)),
    Entry("publish", lambda w, a, p: service.publish(a, week(p), week(p).version, "")),
    # published duties
    Entry("my_volunteer", lambda w, a, p: listed(p.volunteer, filter(None, [service.my_volunteer(a)])),
          allowed=frozenset(), own=OWN),
    Entry("my_assignments", lambda w, a, p: listed(duty(p), service.my_assignments(a, WEEK)),
          allowed=frozenset(), own=OWN),
    Entry("my_week", lambda w, a, p: listed(duty(p), getattr(service.my_week(a, WEEK, BEFORE), "assignments", [])),
          allowed=frozenset(), own=OWN),
    Entry("own_assignment", lambda w, a, p: service.own_assignment(a, duty(p).id), allowed=frozenset(), own=OWN),
    Entry("answer", lambda w, a, p: service.answer(a, (d := duty(p)).id, d.version, True),
          allowed=frozenset(), own=OWN),
    Entry("weeks_needing_attention", lambda w, a, p: (duty(p), listed(
        week(p), [todo.week for todo in service.weeks_needing_attention(a, BEFORE)]))),
    Entry("mark_served", lambda w, a, p: service.mark_served(a, duty(p).id, True, date(2026, 12, 1))),
    # attendance
    Entry("set_attendance", lambda w, a, p: service.set_attendance(
        a, duty(p).id, START, START + timedelta(hours=1), AT_DUTY + timedelta(hours=2))),
    Entry("station_for_code", lambda w, a, p: service.station_for_code(a, p.station.id)),
    Entry("scan", lambda w, a, p: scan(a, p), allowed=frozenset(), own=OWN),
    Entry("duty_at_station", lambda w, a, p: listed(duty(p), filter(None, [
        service.duty_at_station(a, p.station.id, AT_DUTY)])), allowed=frozenset(), own=OWN),
    Entry("attendance_rows", lambda w, a, p: listed(duty(p), exports.attendance_rows(a, week(p)))),
    Entry("attendance_workbook", lambda w, a, p: (duty(p), exports.attendance_workbook(a, week(p)))),
    # teams
    Entry("teams", lambda w, a, p: listed(team(p), db.session.scalars(teams.teams(a)))),
    Entry("get_team", lambda w, a, p: teams.get_team(a, team(p).id)),
    Entry("save_team", lambda w, a, p: teams.save_team(a, None, team_in(p))),
    Entry("save_team.update", lambda w, a, p: teams.save_team(a, team(p).id, team_in(p))),
    Entry("delete_team", lambda w, a, p: teams.delete_team(a, team(p).id)),
    Entry("team_for_callout", lambda w, a, p: teams.team_for_callout(a, p.community.id, team(p).id)),
    Entry("create_callout.team", lambda w, a, p: urgent.create_callout(a, p.community.id, {
        **callout_in(p), "team_id": team(p).id, "team_only": True})),
    Entry("led_teams", lambda w, a, p: listed(team(p), teams.led_teams(a)), allowed=frozenset(), own=OWN),
    Entry("team_answers", lambda w, a, p: teams.team_answers(a, team(p).id, BEFORE), own=OWN),
    # duty templates and single demands (the registry part)
    Entry("templates.list", lambda w, a, p: listed(template(p), service.templates.list(a, PAGE)["items"])),
    Entry("templates.get", lambda w, a, p: service.templates.get(a, template(p).id)),
    Entry("templates.create", lambda w, a, p: service.templates.create(a, template_in(p))),
    Entry("templates.update", lambda w, a, p: service.templates.update(a, t := template(p), {
        "version": t.version, "needed": 2})),
    Entry("templates.delete", lambda w, a, p: service.templates.delete(a, template(p))),
    Entry("demands.list", lambda w, a, p: listed(demand(p), service.demands.list(a, PAGE)["items"])),
    Entry("demands.get", lambda w, a, p: service.demands.get(a, demand(p).id)),
    Entry("demands.create", lambda w, a, p: service.demands.create(a, demand_in(p))),
    Entry("demands.update", lambda w, a, p: service.demands.update(a, d := demand(p), {
        "version": d.version, "needed": 2})),
    Entry("demands.delete", lambda w, a, p: service.demands.delete(a, demand(p))),
    # call-outs
    Entry("create_callout", lambda w, a, p: urgent.create_callout(a, p.community.id, callout_in(p))),
    Entry("get_callout", lambda w, a, p: urgent.get_callout(a, callout(p).id)),
    Entry("widen_callout", lambda w, a, p: urgent.widen_callout(a, callout(p).id, {"radius_m": 2000})),
    Entry("close_callout", lambda w, a, p: urgent.close_callout(a, callout(p).id)),
    Entry("recent_callouts", lambda w, a, p: listed(callout(p), urgent.recent_callouts(a, 20))),
    Entry("calling_count", lambda w, a, p: (callout(p), urgent.calling_count(a) or listed(p.community, []))),
    Entry("my_invitation", lambda w, a, p: urgent.my_invitation(a, callout(p).id), allowed=frozenset(), own=OWN),
    Entry("answer_callout", lambda w, a, p: urgent.answer_callout(a, callout(p).id, True),
          allowed=frozenset(), own=OWN),
    # swaps
    Entry("request_swap", lambda w, a, p: swaps.request_swap(a, duty(p).id, p.colleague.id, "出差"),
          allowed=frozenset(), own=OWN),
    Entry("get_swap", lambda w, a, p: swaps.get_swap(a, swap(p).id)),
    Entry("decide_swap", lambda w, a, p: swaps.decide_swap(a, swap(p).id, False)),
    Entry("swaps_for_week", lambda w, a, p: swaps.swaps_for_week(a, week(p))),
    # exports and the calendar feed
    Entry("week_workbook", lambda w, a, p: exports.week_workbook(a, week(p))),
    Entry("rotate_feed", lambda w, a, p: exports.rotate_feed(a), allowed=frozenset(), own=OWN, placeless=True),
]


@pytest.mark.parametrize("entry", ENTRIES, ids=str)
def test_each_roster_entry_point_with_each_role(roster_world, entry):
    check_entry(roster_world, entry)


def test_every_public_roster_function_that_acts_for_someone_is_in_the_matrix():
    """A new entry point (a public function taking the actor first) cannot slip past the table."""
    shared = {"record_of_week"}  # the look-up through a week that get_job, mark_served and the swaps share
    acting = {name for module in (service, urgent, swaps, exports, teams)
              for name, function in inspect.getmembers(module, inspect.isfunction)
              if function.__module__.startswith(module.__name__) and not name.startswith("_")
              and list(inspect.signature(function).parameters)[:1] == ["actor"]}
    assert acting - shared <= {entry.name for entry in ENTRIES}, "missing: " + ", ".join(
        sorted(acting - shared - {entry.name for entry in ENTRIES}))
    assert len(acting) > 30  # the walk found the modules' functions


def test_the_rule_modules_beside_the_service_do_not_read_the_request_either():
    """``test_policy`` checks the service package; call-outs, swaps, exports, hooks and teams are given the actor
    too."""
    for module in (urgent, swaps, exports, hooks, teams):
        found = re.findall(r"\b(?:flask_login|current_user|current_actor|current_scope|pii_visible)\b",
                           inspect.getsource(module))
        assert not found, (module.__name__, found)
