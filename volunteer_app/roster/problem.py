"""Build a week's roster problem (docs/roster-problem.md) from the database.

Pure reads: nothing here writes. The same document is what the solver gets,
what ``flask roster export-problem`` prints, and what anyone can check with
``python -m solver check``.
"""
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from solver import constraints
from solver.geo import distance_m
from solver.model import Demand as DemandSpec
from solver.model import Problem, Reason, problem_from_dict
from solver.model import Volunteer as VolunteerSpec

from ..clock import IsoWeek
from ..extensions import db
from ..holidays.service import day_statuses
from ..people.availability import windows_for
from ..people.models import ClaimedPost, PartyMemberReport, ServiceLog, Volunteer, VolunteerStatus
from ..places.models import Community
from .hooks import task_sources
from .models import BARRING, Assignment, AssignmentStatus, Demand, PairRule, PairRuleKind, RosterWeek
from .reasons import as_data

FAIRNESS_WEEKS = 4  # history minutes: what each volunteer served in the weeks before


def week_bounds(week: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week such as ``2026-W49``."""
    week = IsoWeek(week)
    return week.monday, week.sunday


def _minute(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def volunteer_key(volunteer_id: int) -> str:
    return f"v{volunteer_id}"


def demand_key(demand_id: int) -> str:
    return f"d{demand_id}"


def parse_key(key: str) -> int:
    return int(key[1:])


def history_minutes(volunteer_ids: list[int], monday: date) -> dict[int, int]:
    start = monday - timedelta(weeks=FAIRNESS_WEEKS)
    rows = db.session.execute(
        select(ServiceLog.volunteer_id, func.sum(ServiceLog.minutes))
        .where(ServiceLog.volunteer_id.in_(volunteer_ids), ServiceLog.served_on >= start, ServiceLog.served_on < monday)
        .group_by(ServiceLog.volunteer_id)
    ).all()
    return {volunteer_id: int(minutes) for volunteer_id, minutes in rows}


def _claimed_pairs(demands: list[Demand], volunteer_ids: set[int]) -> set[tuple[int, int]]:
    """Posts claimed by in-office party members (认领服务岗位) that cover a shift: preferred pairs."""
    pairs = set()
    posts = db.session.execute(
        select(ClaimedPost, PartyMemberReport.volunteer_id).join(PartyMemberReport)
        .where(PartyMemberReport.volunteer_id.in_(volunteer_ids))
    ).all()
    for post, volunteer_id in posts:
        for demand in demands:
            if (demand.station_id == post.station_id and demand.start.weekday() == post.weekday
                    and post.start <= demand.start.time() and demand.end.time() <= post.end
                    and demand.start.date() == demand.end.date()):
                pairs.add((demand.id, volunteer_id))
    return pairs


def live_pairs(week: RosterWeek) -> set[tuple[int, int]]:
    """Published assignments still standing (not declined or removed)."""
    return set(db.session.execute(
        select(Assignment.demand_id, Assignment.volunteer_id).where(
            Assignment.week_id == week.id,
            Assignment.status.in_([AssignmentStatus.assigned, AssignmentStatus.confirmed]))
    ).all())


def build_problem(week: RosterWeek, previous: set[tuple[int, int]] | None = None) -> tuple[dict, list[Reason]]:
    """The week's problem as a spec document, and warnings about pins we had to drop (see ``valid_pins``).

    ``previous`` is the plan being repaired (kept where possible: the
    ``changes`` score); party members' claimed posts are added to it, which
    makes them preferred without ever making the problem infeasible.
    Confirmed assignments and coordinator pins are pinned; declines and bans
    (their rules) are forbidden.
    """
    community = db.session.get(Community, week.community_id)
    monday, sunday = week_bounds(week.week)
    statuses = day_statuses(monday, sunday)
    volunteers = db.session.scalars(
        select(Volunteer).where(Volunteer.community_id == week.community_id,
                                Volunteer.status == VolunteerStatus.active).order_by(Volunteer.id)
    ).all()
    demands = [d for d in week.demands if not d.cancelled]
    history = history_minutes([v.id for v in volunteers], monday)
    volunteer_docs = []
    for volunteer in volunteers:
        windows = windows_for(volunteer, monday, sunday, statuses)
        if not windows:
            continue  # nobody to plan: keeps the problem small
        doc = {
            "id": volunteer_key(volunteer.id),
            "skills": sorted(s.code for s in volunteer.skills),
            "home": {"lat": volunteer.lat, "lon": volunteer.lon},
            "availability": [{"start": _minute(s), "end": _minute(e)} for s, e in windows],
            "max_minutes": volunteer.max_hours_per_week * 60,
            "max_distance_m": volunteer.max_distance_m,
            "history_minutes": history.get(volunteer.id, 0),
        }
        volunteer_docs.append(doc)
    planned = {parse_key(v["id"]) for v in volunteer_docs}
    demand_ids = {d.id for d in demands}
    demand_docs = [{
        "id": demand_key(d.id),
        "kind": d.kind.value,
        "start": _minute(d.start),
        "end": _minute(d.end),
        "location": {"lat": d.lat, "lon": d.lon},
        "required_skills": sorted(d.skills),
        "count": d.needed,
        "priority": d.priority,
    } for d in demands]

    rules = db.session.scalars(select(PairRule).where(PairRule.week_id == week.id)).all()
    confirmed = set(db.session.execute(
        select(Assignment.demand_id, Assignment.volunteer_id).where(
            Assignment.week_id == week.id, Assignment.status == AssignmentStatus.confirmed)
    ).all())
    forbidden = {(r.demand_id, r.volunteer_id) for r in rules if r.kind in BARRING}
    wanted_pins = ({(r.demand_id, r.volunteer_id) for r in rules if r.kind == PairRuleKind.pinned} | confirmed) - forbidden
    preferred = set(previous or ()) | _claimed_pairs(demands, planned)

    def in_problem(pairs):
        return sorted((d, v) for d, v in pairs if d in demand_ids and v in planned)

    document = {
        "format": "roster-problem/1",
        "name": f"{community.name} {week.week}",
        "walking_speed_m_per_min": 70,
        "volunteers": volunteer_docs,
        "demands": demand_docs,
        "pinned": [],
        "forbidden": [{"demand": demand_key(d), "volunteer": volunteer_key(v)} for d, v in in_problem(forbidden)],
        "previous": [{"demand": demand_key(d), "volunteer": volunteer_key(v)} for d, v in in_problem(preferred)],
    }
    _add_tasks(document, week)
    pins, warnings = valid_pins(document, [(demand_key(d), volunteer_key(v)) for d, v in in_problem(wanted_pins)]
                                + _task_pins(week, {v["id"] for v in volunteer_docs}))
    document["pinned"] = [{"demand": d, "volunteer": v} for d, v in pins]
    for d, v in sorted(wanted_pins - set(in_problem(wanted_pins))):
        unplannable = Reason("the volunteer is not available or not active", "unplannable")
        warnings.append(_pin_dropped(demand_key(d), volunteer_key(v), [unplannable]))
    return document, warnings


def _add_tasks(document: dict, week: RosterWeek) -> None:
    """Other domains' work with a time this week (residents' requests, ids ``r<id>``) is planned with the duties."""
    for source in task_sources():
        document["demands"] += source.tasks(week.community_id, week.week)


def _task_pins(week: RosterWeek, planned: set[str]) -> list[tuple[str, str]]:
    """Tasks already given to someone keep their volunteer: pinned, so shifts plan around them."""
    return [(p["demand"], p["volunteer"]) for source in task_sources()
            for p in source.pinned(week.community_id, week.week) if p["volunteer"] in planned]


def valid_pins(document: dict, pins: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[Reason]]:
    """Keep the pins that each obey rules 1, 2, 3 and 5 on their own (the spec refuses others).

    Data can change after a confirmation (a volunteer edits their hours); we
    warn the coordinator instead of refusing the whole week. A warning is a
    ``Reason`` (code ``pin_dropped``): English text for logs and the CLI, code
    and params for the pages to word.
    """
    problem = problem_from_dict(document)
    volunteers, demands = problem.volunteer_by_id, problem.demand_by_id
    kept, warnings = [], []
    for d, v in pins:
        broken = _broken_rules(problem, volunteers[v], demands[d])
        if broken:
            warnings.append(_pin_dropped(d, v, broken))
        else:
            kept.append((d, v))
    return kept, warnings


#: Code and params of each rule one pair can break on its own, for ``reasons.WORDS``.
_RULE_PARAMS = {
    1: lambda p, v, d: ("lacks_skills", {"volunteer": v.id, "skills": sorted(d.required_skills - v.skills)}),
    2: lambda p, v, d: ("not_available", {"volunteer": v.id, "start": d.start, "end": d.end}),
    3: lambda p, v, d: ("out_of_reach", {"volunteer": v.id, "distance_m": distance_m(v.home, d.location),
                                         "limit_m": p.reach_m(v)}),
    5: lambda p, v, d: ("over_load", {"volunteer": v.id}),
}


def _broken_rules(problem: Problem, volunteer: VolunteerSpec, demand: DemandSpec) -> list[Reason]:
    """Rules 1, 2, 3 and 5 the pair breaks on its own, as reasons."""
    violations = constraints.pair_rules(problem, volunteer, demand) + constraints.load_violations(volunteer, [demand])
    return [Reason(str(violation), *_RULE_PARAMS[violation.rule](problem, volunteer, demand))
            for violation in violations]


def _pin_dropped(demand: str, volunteer: str, broken: list[Reason]) -> Reason:
    shown = demand[1:] if demand.startswith("d") else f"request {demand[1:]}"
    text = f"pin of volunteer {volunteer[1:]} on demand {shown} dropped: {'; '.join(map(str, broken))}"
    return Reason(text, "pin_dropped", {"volunteer": volunteer, "demand": demand, "broken": [as_data(b) for b in broken]})


def solution_pairs(solution: dict) -> set[tuple[int, int]]:
    """Roster (demand id, volunteer id) pairs of a solution; service requests are separate."""
    return {(parse_key(a["demand"]), parse_key(a["volunteer"])) for a in solution["assignments"]
            if a["demand"].startswith("d")}


def request_pairs(solution: dict) -> dict[int, int]:
    """{request id: volunteer id} for the residents' requests a solution planned."""
    return {parse_key(a["demand"]): parse_key(a["volunteer"]) for a in solution["assignments"]
            if a["demand"].startswith("r")}

