"""Shared by the roster pages: labels, weeks as people read them, and the solver's words with names."""
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...clock import now_local
from ...accounts.scoping import current_scope
from ...errors import InvalidInput, NotFound
from ...extensions import db
from ...people.display import distinguishing_labels
from ...people.models import Skill, Volunteer
from ...places import service as places
from ...places.models import Community, Station
from ...views import SHORT_DAYS, FormProblems, scoped_options, skill_name, translate_error
from .. import service
from ..models import RosterWeek
from ..problem import week_bounds
from . import bp

#: Weeks and call-outs listed under their forms.
RECENT = 20



# --- labels ---------------------------------------------------------------------------------


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


def span(demand) -> str:
    """``18:00–20:00``, with the end's date when it ends on another day."""
    same_day = demand.end.date() == demand.start.date()
    end = demand.end.strftime("%H:%M" if same_day else "%m-%d %H:%M")
    return f"{demand.start:%H:%M}–{end}"


@bp.context_processor
def roster_helpers():
    return {"roster_label": roster_label, "span": span, "short_days": SHORT_DAYS}


# --- weeks ----------------------------------------------------------------------------------

_WEEK = re.compile(r"(\d{4})-W(\d{2})")


def iso_week(day: date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def today() -> date:
    return now_local().date()


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
    names.volunteers = distinguishing_labels(volunteers)
    return names


def community_volunteers(community_id: int) -> list[Volunteer]:
    return db.session.scalars(select(Volunteer).where(Volunteer.community_id == community_id)
                              .order_by(Volunteer.name, Volunteer.id)).all()


def station_options() -> list[Station]:
    return scoped_options(places.stations, Station.community_id, Station.code)


def plannable_communities() -> list[Community]:
    """Communities whose rosters the caller manages (a grid's community is visible, not plannable)."""
    scope = current_scope()
    return [c for c in scoped_options(places.communities, Community.code) if scope.allows(c.id)]
