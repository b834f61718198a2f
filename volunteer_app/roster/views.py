"""Roster pages: duty templates, plan → review → publish, emergency call-outs
(coordinators); my week with answers, swaps and the calendar feed (volunteers);
and the inbox (everyone).

Thin like the registry pages: a form becomes the dict the roster API's
marshmallow schema loads, the same service runs, the request commits once, and
a refusal (``DomainError``) comes back as form problems on the page. What is
left here is presentation: grouping a week into stations × days and putting
names where the solver's texts say ``v12`` or ``d34``.
"""
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import format_datetime, gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from marshmallow import Schema
from sqlalchemy import select

from .. import jobs
from ..accounts.models import User
from ..accounts.scoping import current_scope
from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from ..holidays.service import day_statuses, unknown_years
from ..notifications import service as notifications
from ..notifications.api import InboxQuery, ReadIn
from ..people import service as people
from ..people.models import Skill, Volunteer, VolunteerStatus
from ..places import service as places
from ..places.models import Community, Station
from ..resources import commit, paginate
from ..service_requests import service as service_requests
from ..views import (
    RECORD_ID, FormProblems, blank_to_none, form_view, hhmm, load_query, names_by_id, problems_from_domain, save,
    scoped_options, skill_name, staff_required, translate_error,
)
from . import exports, schemas, service, urgent
from .models import (
    Assignment, AssignmentStatus, CalendarFeed, CallOut, CallOutInvite, CallOutStatus, HolidayRule, InviteStatus,
    JobStatus, PairRule, PairRuleKind, PlanJob, RosterWeek, ShiftTemplate, SwapRequest, SwapStatus,
)
from .problem import week_bounds

bp = Blueprint("roster_pages", __name__)

#: Templates listed on one page (a community has a few dozen).
TEMPLATES_PER_PAGE = 100
#: Weeks and call-outs listed under their forms.
RECENT = 20
#: How far ahead a call-out may start when "now or soon" is chosen (minutes).
START_OPTIONS = (0, 15, 30, 60, 120)
DURATION_OPTIONS = (30, 60, 120, 180, 240, 480)
#: Seconds between refreshes of an open call-out (meta refresh, works without script).
CALLOUT_REFRESH_S = 10


# --- labels ---------------------------------------------------------------------------------

SHORT_DAYS = [_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun")]

ROSTER_LABELS = {
    "assignment": {"assigned": _l("To confirm"), "confirmed": _l("Confirmed"), "declined": _l("Declined"),
                   "removed": _l("Removed")},
    "week": {"draft": _l("Draft"), "published": _l("Published")},
    "job": {"queued": _l("Waiting to start"), "running": _l("Planning"), "succeeded": _l("Done"),
            "failed": _l("Failed")},
    "stage": {"": _l("Waiting to start"), "building": _l("Reading the week"), "prepare": _l("Preparing"),
              "coverage": _l("Filling the shifts"), "changes": _l("Keeping earlier assignments"),
              "unwanted": _l("Avoiding unwanted times"), "fairness": _l("Sharing the work fairly"),
              "travel": _l("Shortening the walks"), "explain": _l("Explaining what is left open"),
              "done": _l("Done")},
    "purpose": {"plan": _l("Plan"), "resolve": _l("Re-solve from the draft"), "repair": _l("Re-plan after a decline")},
    "holiday_rule": {"closed": _l("No duty on public holidays"), "open": _l("As on any day"),
                     "rota": _l("Holiday rota (own head count)")},
    "swap": {"requested": _l("Waiting for approval"), "approved": _l("Approved"), "rejected": _l("Rejected"),
             "cancelled": _l("Cancelled")},
    "callout": {"open": _l("Calling"), "filled": _l("Filled"), "closed": _l("Closed")},
    "invite": {"invited": _l("No answer yet"), "accepted": _l("Accepted"), "declined": _l("Declined"),
               "too_late": _l("Answered after it was filled")},
    "solve": {"OPTIMAL": _l("best possible (proven)"), "FEASIBLE": _l("best found in the time"),
              "INFEASIBLE": _l("pins contradict each other")},
}


def roster_label(kind: str, value) -> str:
    key = getattr(value, "value", value)
    text = ROSTER_LABELS.get(kind, {}).get(key if key is not None else "")
    return str(text) if text is not None else str(key)


def local_time(moment) -> str:
    """A stored UTC moment in China time (Flask-Babel's configured zone)."""
    return format_datetime(moment, "yyyy-MM-dd HH:mm") if moment else ""


def span(demand) -> str:
    """``18:00–20:00``, with the end's date when it ends on another day."""
    same_day = demand.end.date() == demand.start.date()
    end = demand.end.strftime("%H:%M" if same_day else "%m-%d %H:%M")
    return f"{demand.start:%H:%M}–{end}"


def day_label(day: date) -> str:
    return f"{SHORT_DAYS[day.weekday()]} {day:%m-%d}"


@bp.context_processor
def roster_helpers():
    return {"roster_label": roster_label, "local_time": local_time, "span": span, "day_label": day_label,
            "short_days": SHORT_DAYS}


# --- weeks ----------------------------------------------------------------------------------

_WEEK = re.compile(r"(\d{4})-W(\d{2})")


def iso_week(day: date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def today() -> date:
    return urgent.now_local().date()


def week_or_404(text: str) -> str:
    """A week named in a URL; anything that is not a sensible ISO week is not a page."""
    match = _WEEK.fullmatch(text or "")
    if not match or not 2000 <= int(match.group(1)) <= 2100:
        raise NotFound(f"no week {text}")
    try:
        return service.normalise_week(text)
    except InvalidInput:
        raise NotFound(f"no week {text}") from None


def shifted(week: str, weeks: int) -> str:
    monday, _ = week_bounds(week)
    return iso_week(monday + timedelta(weeks=weeks))


def week_dates(week: str) -> list[date]:
    monday, _ = week_bounds(week)
    return [monday + timedelta(days=i) for i in range(7)]


def week_title(week: str) -> str:
    monday, sunday = week_bounds(week)
    return f"{week} · {monday:%m-%d} – {sunday:%m-%d}"


# --- the solver's words, with names ----------------------------------------------------------

_KEY = re.compile(r"(?<![A-Za-z0-9_])([vd])(\d+)(?![0-9])")  # ids next to Chinese text too
_PIN_DROPPED = re.compile(r"pin of volunteer \d+ on demand \d+ dropped: ")
_MORE = re.compile(r"(?P<head>.+) and (?P<count>\d+) more")

#: The solver explains in English with ids (``v12``, ``d34``); shown translated, with names.
_SOLVER_TEXTS: list[tuple[re.Pattern, object]] = [(re.compile(p), msg) for p, msg in (
    (r"no volunteer has all of (?P<skills>.+) together", _l("No volunteer has all of %(skills)s.")),
    (r"no volunteer has skills? (?P<skills>.+)", _l("No volunteer has %(skills)s.")),
    (r"only (?P<n>\d+) volunteers? (?:has|have) the skills? (?P<skills>.+)",
     _l("Only %(n)s volunteer(s) have %(skills)s.")),
    (r"only (?P<n>\d+) volunteers? in all", _l("Only %(n)s volunteer(s) in all.")),
    (r"only (?P<a>\d+) of the (?P<n>\d+) volunteers(?: with the skills? .+?)? (?:is|are) available (?P<when>.+)",
     _l("Only %(a)s of the %(n)s suitable volunteers are available %(when)s.")),
    (r"(?P<n>\d+) volunteers? (?:has|have) the skills? (?P<skills>.+) but none is available (?P<when>.+)",
     _l("%(n)s volunteer(s) have %(skills)s, but none is available %(when)s.")),
    (r"none of the (?P<n>\d+) volunteers? is available (?P<when>.+)",
     _l("None of the %(n)s volunteers is available %(when)s.")),
    (r".* farther than (?P<limit>.+) \(the nearest is (?P<nearest>.+) away\)",
     _l("The available volunteers live too far away (beyond %(limit)s; the nearest is %(nearest)s away).")),
    (r"(?P<names>.+) declined this demand", _l("%(names)s declined this duty.")),
    (r"(?P<names>.+) (?:is|are) pinned to (?P<others>.+) at the same time",
     _l("%(names)s pinned to %(others)s at the same time.")),
    (r"candidates? (?P<names>.+) (?:was|were) needed for higher-priority demands: (?P<others>.+)",
     _l("%(names)s needed for higher-priority duties at the same time: %(others)s.")),
    (r"candidates? (?P<names>.+) (?:was|were) needed for other demands at the same time: (?P<others>.+)",
     _l("%(names)s needed for other duties at the same time: %(others)s.")),
    (r"(?P<names>.+) reached max_minutes", _l("%(names)s reached their weekly hours.")),
    (r"(?P<names>.+) reached max_assignments", _l("%(names)s reached their most duties a week.")),
    (r"(?P<names>.+) could still take it; the solver stopped before finding that",
     _l("%(names)s could still take it; planning ran out of time first. Try re-solving.")),
    (r"(?P<names>.+) could take it without breaking a rule", _l("%(names)s could take it without breaking a rule.")),
    (r"pin of volunteer (?P<volunteer>\d+) on demand (?P<demand>\d+) dropped: (?P<why>.+)",
     _l("The pin of %(volunteer)s on %(demand)s was dropped: %(why)s")),
    (r"the volunteer is not available or not active", _l("the volunteer is not available or not active")),
    (r"rule 1 \(skills\): (?P<names>v\d+) lacks (?P<skills>.+)", _l("%(names)s lacks %(skills)s.")),
    (r"rule 2 \(availability\): (?P<names>v\d+) is not available (?P<when>.+)",
     _l("%(names)s is not available %(when)s.")),
    (r"rule 3 \(reach\): (?P<names>v\d+) lives (?P<m>\d+) m from d\d+, limit (?P<limit>\d+) m",
     _l("%(names)s lives %(m)s m away; their limit is %(limit)s m.")),
    (r"rule 5 \(load\): (?P<names>v\d+) would serve .*", _l("%(names)s would go over their weekly hours or duties.")),
    (r"not active or not available this week", _l("Not active or not available this week.")),
    (r"is not drafted on this demand", _l("Is not drafted on this duty.")),
    (r"no volunteer \d+ in this community", _l("Not a volunteer of this community.")),
    (r"no such volunteer in your community", _l("Not a volunteer of your community.")),
    (r"that is you", _l("Choose someone other than yourself.")),
    (r"required when declining", _l("Say why you cannot come.")),
    (r"not available, lacks a skill, too far, over their hours, or busy at that time",
     _l("They cannot take it: not available, lacking a skill, too far, over their hours, or busy then.")),
    (r"busy", _l("A plan for this week is already running.")),
    (r"re-plan after a decline", _l("Re-planned automatically after a decline")),
    (r"swap \d+ approved", _l("Swap approved")),
    (r"call-out \d+ accepted", _l("Call-out accepted")),
    (r"Not a valid datetime\.", _l("Enter a date and time.")),
    (r"use an ISO week such as 2026-W49", _l("Enter an ISO week such as 2026-W49.")),
)]


@dataclass
class Names:
    """Who and what the solver's ids stand for, for one week."""

    volunteers: dict[int, str] = field(default_factory=dict)
    demands: dict[int, str] = field(default_factory=dict)
    skills: dict[str, str] = field(default_factory=dict)

    def skill_list(self, codes: str) -> str:
        return "、".join(self.skills.get(code.strip(), code.strip()) for code in codes.split(","))

    def key(self, match: re.Match) -> str:
        table = self.volunteers if match.group(1) == "v" else self.demands
        return table.get(int(match.group(2)), match.group(0))

    def say(self, text: str) -> str:
        """A solver or service text in the page's language, ids replaced by names."""
        for pattern, message in _SOLVER_TEXTS:
            found = pattern.fullmatch(text)
            if found:
                values = {}
                for key, value in found.groupdict().items():
                    value = value or ""
                    if key == "skills":
                        value = self.skill_list(value)
                    elif key == "volunteer":
                        value = self.volunteers.get(int(value), value)
                    elif key == "demand":
                        value = self.demands.get(int(value), value)
                    elif key == "why":
                        value = self.say(value)
                    more = _MORE.fullmatch(value)
                    if more:
                        value = _("%(head)s and %(count)s more", **more.groupdict())
                    values[key] = value
                text = str(message) % values if values else str(message)
                break
        else:
            text = translate_error(text)
        return _KEY.sub(self.key, text)

    def problems(self, problems: FormProblems | None) -> FormProblems | None:
        if problems is not None:  # a refused pin says why, not that it was "dropped"
            problems.errors = {key: [self.say(_PIN_DROPPED.sub("", m, count=1)) for m in messages]
                               for key, messages in problems.errors.items()}
        return problems


def skill_names() -> dict[str, str]:
    return {s.code: skill_name(s) for s in db.session.scalars(select(Skill))}


def demand_label(demand) -> str:
    return f"{SHORT_DAYS[demand.start.weekday()]} {demand.start:%H:%M} {demand.title}"


def week_names(week: RosterWeek, volunteers=()) -> Names:
    names = Names(skills=skill_names())
    names.demands = {d.id: demand_label(d) for d in week.demands}
    names.volunteers = {v.id: v.name for v in volunteers}
    return names


def community_volunteers(community_id: int) -> list[Volunteer]:
    return db.session.scalars(select(Volunteer).where(Volunteer.community_id == community_id)
                              .order_by(Volunteer.name, Volunteer.id)).all()


# --- duty templates --------------------------------------------------------------------------

TEMPLATE_FIELDS = ("station_id", "title", "weekday", "start", "end", "needed", "priority", "holiday_rule",
                   "holiday_needed", "version")


def template_values(template: ShiftTemplate | None) -> dict:
    if template is None:
        return {"station_id": request.args.get("station_id", ""), "weekday": "0", "start": "18:00", "end": "20:00",
                "needed": "1", "priority": "3", "holiday_rule": HolidayRule.closed.value, "holiday_needed": "",
                "skills": [], "active": True}
    return {
        "station_id": str(template.station_id), "title": template.title, "weekday": str(template.weekday),
        "start": hhmm(template.start), "end": hhmm(template.end), "needed": str(template.needed),
        "priority": str(template.priority), "holiday_rule": template.holiday_rule.value,
        "holiday_needed": str(template.holiday_needed or ""), "skills": list(template.skills),
        "active": template.active, "version": str(template.version),
    }


def template_form_values(form) -> dict:
    values = {key: form.get(key, "").strip() for key in TEMPLATE_FIELDS}
    values["skills"] = form.getlist("skills")
    values["active"] = bool(form.get("active"))
    return values


def template_payload(values: dict, template) -> dict:
    data = blank_to_none(values, ("station_id", "weekday", "start", "end", "needed", "priority", "holiday_rule",
                                  "holiday_needed"))
    for key in ("needed", "priority"):  # blank: the default (1 person, priority 3)
        if data[key] is None:
            data.pop(key)
    data["title"] = values.get("title", "")
    data["skills"] = values["skills"]
    data["active"] = values["active"]
    return data


def station_options() -> list[Station]:
    return scoped_options(places.stations, Station.community_id, Station.code)


def render_template_form(template, values, problems):
    return render_template(
        "roster/template_form.html", template=template, values=values, problems=problems,
        stations=station_options(), skills=scoped_options(people.skills, Skill.code),
        rules=[r.value for r in HolidayRule],
    )


@bp.get("/roster/templates")
@staff_required
def templates():
    args = load_query(schemas.TemplateQuery())
    statement = service.templates.filtered(args).order_by(
        ShiftTemplate.station_id, ShiftTemplate.weekday, ShiftTemplate.start, ShiftTemplate.id)
    page = paginate(statement, args["page"], TEMPLATES_PER_PAGE)
    stations = names_by_id(Station, [t.station_id for t in page["items"]])
    groups = defaultdict(list)
    for template in page["items"]:
        groups[template.station_id].append(template)
    return render_template(
        "roster/templates.html", page=page, args=args, groups=groups, stations=stations,
        station_choices=station_options(), communities=scoped_options(places.communities, Community.code),
        skills=skill_names(),
    )


@bp.route("/roster/templates/new", methods=["GET", "POST"])
@staff_required
def template_new():
    return template_form(None)


@bp.route(f"/roster/templates/<{RECORD_ID}:template_id>/edit", methods=["GET", "POST"])
@staff_required
def template_edit(template_id: int):
    return template_form(service.templates.get(template_id))


def template_form(template):
    return form_view(
        service=service.templates, in_schema=schemas.TemplateIn, obj=template,
        values_for=template_values, values_from_form=template_form_values, payload=template_payload,
        render=lambda values, problems: render_template_form(template, values, problems),
        saved_message=lambda t: _("Duty template %(title)s saved.", title=t.title or t.station.name),
        next_url=lambda t: url_for("roster_pages.templates", station_id=t.station_id),
    )


# --- plan a week, follow the job ------------------------------------------------------------

def plannable_communities() -> list[Community]:
    """Communities whose rosters the caller manages (a grid's community is visible, not plannable)."""
    scope = current_scope()
    return [c for c in scoped_options(places.communities, Community.code) if scope.allows(c.id)]


def start_job(week: RosterWeek, purpose: str) -> tuple[PlanJob, bool]:
    """The job planning ``week`` (flushed, not committed) and whether it is new; a running one is reused."""
    try:
        return service.request_plan(week, current_user, purpose), True
    except Conflict as exc:
        running = db.session.get(PlanJob, exc.extra.get("job_id") or 0)
        if running is None:
            raise
        return running, False


def follow(job: PlanJob, new: bool):
    """After the commit: queue a new job (eager without a broker) and show its progress."""
    if new:
        jobs.enqueue_plan(job.id)
        db.session.expire_all()
    else:
        flash(_("A plan for this week is already running; here is its progress."), "warning")
    return redirect(url_for("roster_pages.roster_job", job_id=job.id))


@bp.route("/roster/plan", methods=["GET", "POST"])
@staff_required
def roster_plan():
    communities = plannable_communities()
    values = {"community_id": str(communities[0].id) if len(communities) == 1 else "",
              "week": iso_week(today() + timedelta(weeks=1))}
    problems = None
    if request.method == "POST":
        service.templates.require_writer()
        values = {key: request.form.get(key, "").strip() for key in ("community_id", "week")}
        started, problems = save(schemas.PlanIn(), blank_to_none(values, ("community_id", "week")),
                                 lambda data: start_job(service.week_for(data["community_id"], data["week"]), "plan"))
        if problems is None:
            return follow(*started)
    weeks = db.session.scalars(select(RosterWeek).where(current_scope().clause(RosterWeek))
                               .order_by(RosterWeek.week.desc(), RosterWeek.community_id).limit(RECENT)).all()
    names = names_by_id(Community, [w.community_id for w in weeks])
    try:  # warn early when the chosen week's official holidays are not known
        unknown = unknown_years(*week_bounds(week_or_404(values.get("week", ""))))
    except NotFound:
        unknown = []
    return render_template("roster/plan.html", values=values, problems=Names().problems(problems),
                           communities=communities,
                           weeks=weeks, names=names, unknown_years=unknown), (problems.status if problems else 200)


def job_in_scope(job_id: int) -> PlanJob:
    job = db.session.get(PlanJob, job_id)
    if job is None or not current_scope().allows(job.week.community_id):
        raise NotFound(f"job {job_id} not found")
    return job


@bp.get(f"/roster/jobs/<{RECORD_ID}:job_id>")
@staff_required
def roster_job(job_id: int):
    """Progress of a plan; the page polls the API and moves on to the review when it is done."""
    job = service.refresh_job(job_in_scope(job_id))
    commit()
    if job.status == JobStatus.succeeded:
        summary = job.summary or {}
        flash(_("Planning finished in %(seconds)s s: %(assignments)s places filled, %(unfilled)s duties not full.",
                seconds=round(job.elapsed_s, 1), assignments=summary.get("assignments", 0),
                unfilled=summary.get("unfilled", 0)), "success")
        return redirect(url_for("roster_pages.roster_week", week_id=job.week_id))
    community = db.session.get(Community, job.week.community_id)
    return render_template(
        "roster/job.html", job=job, week=job.week, community=community,
        stage_labels={key: str(text) for key, text in ROSTER_LABELS["stage"].items()},
        status_labels={key: str(text) for key, text in ROSTER_LABELS["job"].items()},
    )


# --- review ----------------------------------------------------------------------------------

def review_context(week: RosterWeek, names: Names) -> dict:
    """Everything the review page shows: the draft grid, the live roster, versions, swaps."""
    community = db.session.get(Community, week.community_id)
    days = week_dates(week.week)
    statuses = day_statuses(days[0], days[-1])
    demands = list(week.demands)
    drafted: dict[int, list[int]] = defaultdict(list)
    for demand_id, volunteer_id in sorted(service.draft_pairs(week)):
        drafted[demand_id].append(volunteer_id)
    for ids in drafted.values():
        ids.sort(key=lambda v: (names.volunteers.get(v, ""), v))
    rules = {(r.demand_id, r.volunteer_id): r for r in db.session.scalars(
        select(PairRule).where(PairRule.week_id == week.id).order_by(PairRule.id))}
    rules_by_demand: dict[int, list[PairRule]] = defaultdict(list)
    for rule in rules.values():
        rules_by_demand[rule.demand_id].append(rule)
    reasons = {u["demand_id"]: [names.say(r) for r in u.get("reasons", [])] for u in week.draft_unfilled or []}
    short = {d.id: d.needed - len(drafted[d.id]) for d in demands if not d.cancelled and len(drafted[d.id]) < d.needed}

    station_ids = sorted({d.station_id for d in demands if d.station_id})
    stations = db.session.scalars(select(Station).where(Station.id.in_(station_ids)).order_by(Station.code)).all() \
        if station_ids else []
    grid = {s.id: [[] for _ in days] for s in stations}
    for demand in demands:
        if demand.station_id in grid:
            grid[demand.station_id][(demand.start.date() - days[0]).days % 7].append(demand)

    live = db.session.scalars(select(Assignment).where(Assignment.week_id == week.id)
                              .order_by(Assignment.demand_id, Assignment.id)).all()
    live_by_demand: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in live:
        if assignment.status != AssignmentStatus.removed:
            live_by_demand[assignment.demand_id].append(assignment)
    standing = {(a.demand_id, a.volunteer_id) for a in live
                if a.status in (AssignmentStatus.assigned, AssignmentStatus.confirmed)}
    history = service.versions(week)
    running = db.session.scalar(select(PlanJob).where(
        PlanJob.week_id == week.id, PlanJob.status.in_([JobStatus.queued, JobStatus.running])).limit(1))
    publishers = names_by_id(User, [v.published_by_id for v in history])
    scores = dict(week.draft_scores or {})
    return {
        "week": week, "community": community, "days": days, "statuses": statuses, "demands": demands,
        "drafted": drafted, "rules": rules, "rules_by_demand": rules_by_demand, "reasons": reasons, "short": short,
        "stations": stations, "grid": grid, "tasks": [d for d in demands if not d.station_id],
        "live_by_demand": live_by_demand, "has_live": bool(live), "versions": history, "publishers": publishers,
        "draft_changed": {(d, v) for d, ids in drafted.items() for v in ids} != standing,
        "swaps": urgent.swaps_for_week(week), "scores": scores,
        "warnings": [names.say(w) for w in scores.get("warnings", [])],
        "unknown_years": unknown_years(days[0], days[-1]),
        "places": sum(d.needed for d in demands if not d.cancelled),
        "filled": sum(min(len(drafted[d.id]), d.needed) for d in demands if not d.cancelled),
        "choices": [v for v in community_volunteers(week.community_id) if v.status == VolunteerStatus.active],
        "names": names, "running": running if running is not None and not service.job_is_stale(running) else None,
    }


def render_review(week: RosterWeek, problems: FormProblems | None = None, target: str | None = None,
                  publish_conflict: bool = False, names: Names | None = None):
    names = names or week_names(week, community_volunteers(week.community_id))
    context = review_context(week, names)
    status = problems.status if problems else 200
    return render_template("roster/review.html", problems=names.problems(problems), target=target,
                           publish_conflict=publish_conflict, **context), status


def review_url(week: RosterWeek, anchor: str | None = None) -> str:
    return url_for("roster_pages.roster_week", week_id=week.id, _anchor=anchor)


@bp.get(f"/roster/weeks/<{RECORD_ID}:week_id>")
@staff_required
def roster_week(week_id: int):
    return render_review(service.get_week(week_id))


@bp.get(f"/roster/weeks/<{RECORD_ID}:week_id>/print")
@staff_required
def roster_week_print(week_id: int):
    """Plain tables per station for the notice board: the live roster, or the draft before publishing."""
    week = service.get_week(week_id)
    names = week_names(week, community_volunteers(week.community_id))
    return render_template("roster/print.html", **review_context(week, names))


@bp.post(f"/roster/weeks/<{RECORD_ID}:week_id>/rules")
@staff_required
def roster_rule(week_id: int):
    """Pin, forbid or clear one (duty, volunteer) pair of the draft."""
    week = service.get_week(week_id)
    service.templates.require_writer()
    data = blank_to_none(request.form, ("demand_id", "volunteer_id", "kind"))
    data["reason"] = request.form.get("reason", "").strip()

    def apply(loaded):
        kind = None if loaded["kind"] == "clear" else PairRuleKind(loaded["kind"])
        service.set_rule(week, loaded["demand_id"], loaded["volunteer_id"], kind, loaded["reason"])
        return kind

    kind, problems = save(schemas.RuleIn(), data, apply)
    anchor = f"demand-{data['demand_id']}"
    if problems is not None:
        return render_review(week, problems, target=anchor)
    names = week_names(week, community_volunteers(week.community_id))
    who = names.volunteers.get(int(data["volunteer_id"]), "")
    what = names.demands.get(int(data["demand_id"]), "")
    message = {PairRuleKind.pinned: _("%(name)s is pinned to %(duty)s.", name=who, duty=what),
               PairRuleKind.forbidden: _("%(name)s will not be planned on %(duty)s.", name=who, duty=what),
               None: _("The rule for %(name)s on %(duty)s is cleared.", name=who, duty=what)}[kind]
    flash(message, "success")
    return redirect(review_url(week, anchor))


@bp.post(f"/roster/weeks/<{RECORD_ID}:week_id>/move")
@staff_required
def roster_move(week_id: int):
    """Give a drafted place to another volunteer (a ban for the first, a pin for the second)."""
    week = service.get_week(week_id)
    service.templates.require_writer()
    data = blank_to_none(request.form, ("demand_id", "from_volunteer_id", "to_volunteer_id"))
    _done, problems = save(schemas.MoveIn(), data, lambda loaded: service.move(
        week, loaded["demand_id"], loaded["from_volunteer_id"], loaded["to_volunteer_id"]))
    anchor = f"demand-{data['demand_id']}"
    if problems is not None:
        return render_review(week, problems, target=anchor)
    names = week_names(week, community_volunteers(week.community_id))
    flash(_("%(duty)s moved from %(old)s to %(new)s.", duty=names.demands.get(int(data["demand_id"]), ""),
            old=names.volunteers.get(int(data["from_volunteer_id"]), ""),
            new=names.volunteers.get(int(data["to_volunteer_id"]), "")), "success")
    return redirect(review_url(week, anchor))


@bp.post(f"/roster/weeks/<{RECORD_ID}:week_id>/resolve")
@staff_required
def roster_resolve(week_id: int):
    """Re-solve from the edited draft: pins and bans hold, the rest changes as little as it can."""
    week = service.get_week(week_id)
    service.templates.require_writer()
    started, problems = save(Schema(), {}, lambda _nothing: start_job(week, "resolve"))
    if problems is not None:
        return render_review(week, problems)
    return follow(*started)


@bp.post(f"/roster/weeks/<{RECORD_ID}:week_id>/publish")
@staff_required
def roster_publish(week_id: int):
    """Publish the draft as the next version; a stale ``version`` means someone published meanwhile."""
    week = service.get_week(week_id)
    service.templates.require_writer()
    data = {"version": request.form.get("version", "").strip() or None, "note": request.form.get("note", "").strip()}
    version, problems = save(schemas.PublishIn(), data, lambda loaded: service.publish(
        week, loaded["version"], current_user, loaded["note"]))
    if problems is not None:
        db.session.expire_all()
        if problems.status == 409 or problems.stale:
            problems.status, problems.errors = 409, {}
            problems.message = _("Someone published this week meanwhile. Reload the page to see the current "
                                 "roster before you publish again.")
            return render_review(week, problems, target="publish", publish_conflict=True)
        return render_review(week, problems, target="publish")
    flash(_("Version %(number)s is published; the volunteers are told.", number=version.number), "success")
    return redirect(review_url(week))


@bp.post(f"/roster/swaps/<{RECORD_ID}:swap_id>/decision")
@staff_required
def roster_swap_decision(swap_id: int):
    swap = db.session.get(SwapRequest, swap_id)
    if swap is None:
        raise NotFound(f"swap {swap_id} not found")
    week = service.get_week(swap.assignment.week_id)  # 404 outside the scope
    service.templates.require_writer()
    data = {"approve": request.form.get("approve", "").strip() or None}
    decided, problems = save(schemas.DecisionIn(), data, lambda loaded: urgent.decide_swap(
        swap, loaded["approve"], current_user))
    if problems is not None:
        db.session.expire_all()
        return render_review(week, problems, target="swaps")
    names = (swap.assignment.volunteer.name, swap.to_volunteer.name)
    if decided.status == SwapStatus.approved:
        flash(_("Swap approved: %(new)s takes over from %(old)s; a new version is published.",
                old=names[0], new=names[1]), "success")
    else:
        flash(_("Swap from %(old)s to %(new)s rejected.", old=names[0], new=names[1]), "success")
    return redirect(review_url(week, "swaps"))


# --- emergency call-outs ---------------------------------------------------------------------

CALLOUT_FIELDS = ("community_id", "station_id", "title", "lat", "lon", "needed", "start_in", "start_at", "duration")


def callout_values(form=None) -> dict:
    if form is None:
        communities = plannable_communities()
        return {"community_id": str(communities[0].id) if len(communities) == 1 else "", "needed": "2",
                "start_in": "0", "duration": "120", "skills": []}
    values = {key: form.get(key, "").strip() for key in CALLOUT_FIELDS}
    values["skills"] = form.getlist("skills")
    return values


def callout_payload(values: dict) -> dict:
    """Form → ``CallOutIn``: a station gives the place, "now or soon" gives the start."""
    data = blank_to_none(values, ("community_id", "title", "lat", "lon", "needed"))
    data["skills"] = values["skills"]
    if values.get("station_id"):
        station = places.parent_in_scope(Station, int(values["station_id"]) if values["station_id"].isdigit() else None,
                                         "station_id")
        data["lat"], data["lon"] = station.lat, station.lon
    if values.get("start_at"):
        start = values["start_at"]
    else:
        minutes = int(values["start_in"]) if values.get("start_in", "").isdigit() else 0
        start = (urgent.now_local() + timedelta(minutes=min(minutes, max(START_OPTIONS)))).strftime("%Y-%m-%dT%H:%M")
    data["start"] = start
    try:
        duration = min(int(values.get("duration") or 120), 24 * 60)
        data["end"] = (datetime.fromisoformat(start) + timedelta(minutes=duration)).strftime("%Y-%m-%dT%H:%M")
    except ValueError:
        data["end"] = None  # the schema names the bad start
    return data


def create_callout(loaded: dict) -> CallOut:
    community_id = loaded.pop("community_id")
    loaded["skills"] = [s.code for s in people.skills_by_code(loaded["skills"])]
    return urgent.create_callout(community_id, loaded, current_user)


@bp.route("/roster/callouts", methods=["GET", "POST"])
@staff_required
def callouts():
    values, problems = callout_values(), None
    if request.method == "POST":
        service.templates.require_writer()
        values = callout_values(request.form)
        try:
            data = callout_payload(values)
        except InvalidInput as exc:
            problems = problems_from_domain(exc)
        else:
            callout, problems = save(schemas.CallOutIn(), data, create_callout)
            if problems is None:
                flash(_("Call-out sent to %(count)s volunteers.", count=len(callout.invites)), "success")
                return redirect(url_for("roster_pages.callout", callout_id=callout.id))
    recent = db.session.scalars(select(CallOut).where(current_scope().clause(CallOut))
                                .order_by(CallOut.id.desc()).limit(RECENT)).all()
    return render_template(
        "roster/callouts.html", values=values, problems=Names().problems(problems), recent=recent,
        communities=plannable_communities(), stations=station_options(),
        skills=scoped_options(people.skills, Skill.code), start_options=START_OPTIONS,
        duration_options=DURATION_OPTIONS,
    ), (problems.status if problems else 200)


def callout_in_scope(callout_id: int) -> CallOut:
    callout = urgent.get_callout(callout_id)
    if not current_scope().allows(callout.community_id):
        raise NotFound(f"call-out {callout_id} not found")
    return callout


@bp.get(f"/roster/callouts/<{RECORD_ID}:callout_id>")
@staff_required
def callout(callout_id: int):
    """The ranked invitations and their answers, refreshing itself while the call-out is open."""
    callout = callout_in_scope(callout_id)
    accepted = sum(1 for i in callout.invites if i.status == InviteStatus.accepted)
    return render_template("roster/callout.html", callout=callout, demand=callout.demand, accepted=accepted,
                           community=db.session.get(Community, callout.community_id), skills=skill_names(),
                           refresh=CALLOUT_REFRESH_S if callout.status == CallOutStatus.open else None)


@bp.post(f"/roster/callouts/<{RECORD_ID}:callout_id>/close")
@staff_required
def callout_close(callout_id: int):
    callout = callout_in_scope(callout_id)
    service.templates.require_writer()
    urgent.close_callout(callout)
    commit()
    flash(_("The call-out is closed; nobody else can accept it."), "success")
    return redirect(url_for("roster_pages.callout", callout_id=callout.id))


# --- volunteers: my week ---------------------------------------------------------------------

def my_volunteer() -> Volunteer | None:
    return db.session.get(Volunteer, current_user.volunteer_id) if current_user.volunteer_id else None


def render_my_week(week: str, problems: FormProblems | None = None, target: str | None = None, feed_url=None):
    volunteer = my_volunteer()
    context = {"week": week, "title": week_title(week), "previous": shifted(week, -1), "next": shifted(week, 1),
               "this_week": iso_week(today()), "volunteer": volunteer, "problems": problems, "target": target,
               "feed_url": feed_url}
    if volunteer is not None:
        assignments = service.my_assignments(volunteer.id, week)
        swaps = defaultdict(list)
        if assignments:
            for swap in db.session.scalars(select(SwapRequest).where(
                    SwapRequest.assignment_id.in_([a.id for a in assignments])).order_by(SwapRequest.id)):
                swaps[swap.assignment_id].append(swap)
        invites = db.session.scalars(
            select(CallOutInvite).join(CallOut).where(CallOutInvite.volunteer_id == volunteer.id,
                                                      CallOut.status == CallOutStatus.open)
            .order_by(CallOutInvite.id.desc())).all()
        colleagues = [v for v in community_volunteers(volunteer.community_id)
                      if v.id != volunteer.id and v.status == VolunteerStatus.active]
        context.update(
            assignments=assignments, swaps=swaps, invites=invites, colleagues=colleagues,
            tasks=service_requests.my_requests(current_user, week),
            stations=names_by_id(Station, [a.demand.station_id for a in assignments]),
            has_feed=db.session.scalar(select(CalendarFeed.id).where(CalendarFeed.volunteer_id == volunteer.id))
            is not None,
        )
        if problems is not None:
            names = Names(volunteers={v.id: v.name for v in colleagues})
            names.problems(problems)
    status = problems.status if problems else 200
    response = make_response(render_template("roster/my_week.html", **context), status)
    if feed_url:
        response.headers["Cache-Control"] = "no-store"  # the secret link is shown once
    return response


@bp.get("/my/week")
@login_required
def my_week_now():
    return render_my_week(iso_week(today()))


@bp.get("/my/week/<week>")
@login_required
def my_week(week: str):
    return render_my_week(week_or_404(week))


def week_of(assignment: Assignment) -> str:
    return iso_week(assignment.demand.start.date())


@bp.post(f"/my/assignments/<{RECORD_ID}:assignment_id>/answer")
@login_required
def my_answer(assignment_id: int):
    """Confirm, or decline with a reason; a decline re-plans the week around everyone else."""
    assignment = service.own_assignment(current_user, assignment_id)  # others' answer 404
    week = week_of(assignment)
    data = {"version": request.form.get("version", "").strip() or None,
            "confirm": request.form.get("confirm", "").strip() or None,
            "reason": request.form.get("reason", "").strip()}
    job, problems = save(schemas.AnswerIn(), data, lambda loaded: service.answer(
        current_user, assignment_id, loaded["version"], loaded["confirm"], loaded["reason"]))
    target = f"assignment-{assignment_id}"
    if problems is not None:
        db.session.expire_all()
        if problems.status == 409 or problems.stale:
            problems.status, problems.errors = 409, {}
            problems.message = _("This duty changed since you loaded the page. Check it below and answer again.")
        return render_my_week(week, problems, target)
    if job is None:
        flash(_("Thank you! You confirmed %(duty)s.", duty=assignment.demand.title), "success")
    else:
        jobs.enqueue_plan(job.id)
        flash(_("You declined %(duty)s. Your coordinator is told and someone else will be asked.",
                duty=assignment.demand.title), "success")
    return redirect(url_for("roster_pages.my_week", week=week, _anchor=target))


@bp.post(f"/my/assignments/<{RECORD_ID}:assignment_id>/swap")
@login_required
def my_swap(assignment_id: int):
    """Ask to hand a duty to a colleague; the coordinator approves."""
    assignment = service.own_assignment(current_user, assignment_id)
    week = week_of(assignment)
    data = {"to_volunteer_id": request.form.get("to_volunteer_id", "").strip() or None,
            "note": request.form.get("note", "").strip()}
    swap, problems = save(schemas.SwapIn(), data, lambda loaded: urgent.request_swap(
        current_user, assignment_id, loaded["to_volunteer_id"], loaded["note"]))
    target = f"assignment-{assignment_id}"
    if problems is not None:
        db.session.expire_all()
        if problems.status == 409:
            problems.message = _("This duty changed since you loaded the page. Check it below and try again.")
        return render_my_week(week, problems, target)
    flash(_("Swap request sent: %(name)s would take %(duty)s once your coordinator approves.",
            name=swap.to_volunteer.name, duty=assignment.demand.title), "success")
    return redirect(url_for("roster_pages.my_week", week=week, _anchor=target))


def my_invite(callout_id: int) -> CallOutInvite:
    invite = None
    if current_user.volunteer_id:
        invite = db.session.scalar(select(CallOutInvite).where(CallOutInvite.callout_id == callout_id,
                                                               CallOutInvite.volunteer_id == current_user.volunteer_id))
    if invite is None:
        raise NotFound(f"call-out {callout_id} not found")
    return invite


@bp.get(f"/my/callouts/<{RECORD_ID}:callout_id>")
@login_required
def my_callout(callout_id: int):
    invite = my_invite(callout_id)
    return render_template("roster/my_callout.html", invite=invite, callout=invite.callout,
                           demand=invite.callout.demand, skills=skill_names())


@bp.post(f"/my/callouts/<{RECORD_ID}:callout_id>/answer")
@login_required
def my_callout_answer(callout_id: int):
    invite = my_invite(callout_id)
    data = {"accept": request.form.get("accept", "").strip() or None}
    answered, problems = save(schemas.CallOutAnswerIn(), data, lambda loaded: urgent.answer_callout(
        current_user, callout_id, loaded["accept"]))
    if problems is not None:
        flash(_("You already answered this call-out."), "warning")
    elif answered.status == InviteStatus.accepted:
        flash(_("Thank you! You are on %(duty)s; it is in your week now.", duty=invite.callout.demand.title), "success")
    elif answered.status == InviteStatus.too_late:
        flash(_("Thank you, but enough people have already come forward."), "warning")
    else:
        flash(_("Thank you for answering."), "success")
    return redirect(url_for("roster_pages.my_callout", callout_id=callout_id))


@bp.post("/my/calendar-feed")
@login_required
def my_calendar_feed():
    """A new secret iCalendar link (the old one stops working), shown once on the page."""
    volunteer = my_volunteer()
    if volunteer is None:
        raise NotFound("you have no volunteer record")
    try:  # the week the page was showing; never lose the new link over a bad one
        week = week_or_404(request.form.get("week", ""))
    except NotFound:
        week = iso_week(today())
    token = exports.rotate_feed(volunteer)
    commit()
    return render_my_week(week, feed_url=url_for("feeds.calendar", token=token, _external=True))


# --- inbox -----------------------------------------------------------------------------------

def local_link(link: str) -> str | None:
    """Only links inside this site are followed from a notification."""
    return link if link.startswith("/") and not link.startswith("//") else None


@bp.get("/inbox")
@login_required
def inbox():
    args = load_query(InboxQuery())
    page = paginate(notifications.inbox(current_user, args["unread"]), args["page"], args["per_page"])
    return render_template("roster/inbox.html", page=page, args=args, local_link=local_link)


@bp.post("/inbox/read")
@login_required
def inbox_read():
    data = {"ids": [value for value in request.form.getlist("ids") if value.strip()]}
    marked, problems = save(ReadIn(), data, lambda loaded: notifications.mark_read(current_user, loaded["ids"]))
    if problems is None:
        flash(_("%(count)s messages marked as read.", count=marked), "success")
    back = "1" if request.form.get("unread") == "1" else None
    return redirect(url_for("roster_pages.inbox", unread=back))


# --- registration ----------------------------------------------------------------------------

def register(app) -> None:
    """The blueprint and its menu entries (called from ``views.init_app``)."""
    from ..accounts.models import Role
    from ..views import STAFF, register_nav

    app.register_blueprint(bp)
    everyone = {Role.admin, Role.coordinator, Role.volunteer, Role.resident}
    register_nav(app, "roster_pages.roster_plan", _l("Rosters"), STAFF, order=45, active_prefix="roster_pages.roster_")
    register_nav(app, "roster_pages.templates", _l("Duty templates"), STAFF, order=46,
                 active_prefix="roster_pages.template")
    register_nav(app, "roster_pages.callouts", _l("Call-outs"), STAFF, order=47, active_prefix="roster_pages.callout")
    register_nav(app, "roster_pages.my_week_now", _l("My week"), {Role.volunteer}, order=-10,
                 active_prefix="roster_pages.my_")
    register_nav(app, "roster_pages.inbox", _l("Inbox"), everyone, order=90, active_prefix="roster_pages.inbox")
