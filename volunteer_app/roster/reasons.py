"""Why a plan leaves a duty short, why a pin was dropped, why a plan failed: kept as data, worded here.

The solver explains each short duty with ``Reason(text, code, params)``; the app
asks it for the codes too (``solve_dict(..., reason_codes=True)``) and stores
them as ``{"code", "params"}`` beside the English texts, which stay for programs
and logs. The pins the app drops and the plans that fail are kept the same way.
``WORDS`` is the one table that turns a code into a sentence, lazily translated,
with names for the ids its params carry: ``v12`` volunteers, ``d34`` duties,
``r5`` residents' requests, and skill codes.
"""
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select

from solver.model import Reason, format_span

from ..extensions import db
from ..people.models import Skill

#: Names shown in one sentence before "and N more" (as the solver's English texts do).
MAX_NAMES = 5


def as_data(reason: Reason) -> dict:
    """The part of a reason the app stores and words: its code and params."""
    return {"code": reason.code, "params": dict(reason.params)}


def _english() -> bool:
    return str(get_locale() or "").startswith("en")


def _joined(items: Iterable, chinese: str = "、", english: str = ", ") -> LazyString:
    """Items as the reader writes a list: ``、`` between Chinese ones, a comma between English ones."""
    items = list(items)
    return LazyString(lambda: (english if _english() else chinese).join(str(item) for item in items))


def skill_names() -> dict[str, LazyString]:
    """Every skill's name, in the reader's language when it is shown."""
    return {s.code: LazyString(lambda en=s.name_en, zh=s.name_zh: en if _english() else zh)
            for s in db.session.scalars(select(Skill))}


@dataclass
class Names:
    """Who and what the ids in the params stand for (a page builds it for one week)."""

    volunteers: dict[int, str] = field(default_factory=dict)
    demands: dict[int, str] = field(default_factory=dict)
    skills: dict[str, object] = field(default_factory=dict)

    def of(self, key: str):
        """``v12`` → the volunteer's name, ``d34`` → the duty's, ``r5`` → the request; unknown ids as they are."""
        kind, number = key[:1], key[1:]
        if not number.isdigit():
            return key
        if kind == "r":
            return _l("request No. %(id)s", id=number)
        table = {"v": self.volunteers, "d": self.demands}.get(kind, {})
        return table.get(int(number), key)

    def listed(self, keys: Iterable[str]) -> LazyString:
        keys = list(keys)
        shown = _joined(self.of(key) for key in keys[:MAX_NAMES])
        if len(keys) <= MAX_NAMES:
            return shown
        return _l("%(head)s and %(count)s more", head=shown, count=len(keys) - MAX_NAMES)

    def skill_list(self, codes: Iterable[str]) -> LazyString:
        return _joined(self.skills.get(code, code) for code in codes)


def _km(metres: int) -> str:
    return f"{metres} m" if metres < 1000 else f"{metres / 1000:.1f} km".replace(".0 km", " km")


def _when(params: dict) -> str:
    return format_span(params["start"], params["end"])


# --- the solver's reasons for a short duty (solver/explain.py) --------------------------------


def _no_skill(p: dict, n: Names):
    if p.get("together"):
        return _l("No volunteer has all of %(skills)s.", skills=n.skill_list(p["skills"]))
    return _l("No volunteer has %(skills)s.", skills=n.skill_list(p["skills"]))


def _few_skilled(p: dict, n: Names):
    if p["skills"]:
        return _l("Only %(n)s volunteer(s) have %(skills)s.", n=p["volunteers"], skills=n.skill_list(p["skills"]))
    if p["volunteers"]:
        return _l("Only %(n)s volunteer(s) in all.", n=p["volunteers"])
    return _l("There are no volunteers to plan.")


def _unavailable(p: dict, n: Names):
    if p["available"]:
        return _l("Only %(a)s of the %(n)s suitable volunteers are available %(when)s.",
                  a=p["available"], n=p["volunteers"], when=_when(p))
    if p.get("skills"):
        return _l("%(n)s volunteer(s) have %(skills)s, but none is available %(when)s.",
                  n=p["volunteers"], skills=n.skill_list(p["skills"]), when=_when(p))
    return _l("None of the %(n)s volunteers is available %(when)s.", n=p["volunteers"], when=_when(p))


def _too_far(p: dict, n: Names):
    nearest, limits = _km(p["nearest_m"]), p["limits_m"]
    if len(limits) == 1:
        return _l("The available volunteers live too far away (beyond %(limit)s; the nearest is %(nearest)s away).",
                  limit=_km(limits[0]), nearest=nearest)
    return _l("The available volunteers live farther than they will go (the nearest is %(nearest)s away).",
              nearest=nearest)


def _busy(p: dict, n: Names):
    if p["higher_priority"]:
        return _l("%(names)s needed for higher-priority duties at the same time: %(others)s.",
                  names=n.listed(p["volunteers"]), others=n.listed(p["demands"]))
    return _l("%(names)s needed for other duties at the same time: %(others)s.",
              names=n.listed(p["volunteers"]), others=n.listed(p["demands"]))


def _not_found(p: dict, n: Names):
    if p.get("complete", True):
        return _l("%(names)s could take it without breaking a rule.", names=n.listed(p["volunteers"]))
    return _l("%(names)s could still take it; planning ran out of time first. Try re-solving.",
              names=n.listed(p["volunteers"]))


#: The hard rules of docs/roster-problem.md, as a pin clash names them.
RULES = {1: _l("skills"), 2: _l("availability"), 3: _l("distance"), 4: _l("overlapping times"),
         5: _l("weekly hours and duties"), 6: _l("people needed"), 7: _l("pins and bans")}


def _pinned_clash(p: dict, n: Names):
    rule, duties = RULES.get(p["rule"], p["rule"]), n.listed(p["demands"])
    if p.get("volunteer"):
        return _l("The pins of %(name)s on %(duties)s break the rule on %(rule)s.",
                  name=n.of(p["volunteer"]), duties=duties, rule=rule)
    return _l("The pins on %(duties)s break the rule on %(rule)s.", duties=duties, rule=rule)


# --- pins the app drops (problem.valid_pins), and why a plan job failed --------------------------


def _pin_dropped(p: dict, n: Names):
    return _l("The pin of %(volunteer)s on %(demand)s was dropped: %(why)s", volunteer=n.of(p["volunteer"]),
              demand=n.of(p["demand"]), why=_joined((words(b, n) for b in p["broken"]), " ", " "))


def _pins_clash(p: dict, n: Names):
    said = _joined((words(r, n) for r in p["reasons"]), " ", " ")
    return _l("The pinned assignments cannot all hold together: %(reasons)s", reasons=said)


WORDS: dict[str, Callable[[dict, Names], object]] = {
    "no_skill": _no_skill,
    "few_skilled": _few_skilled,
    "unavailable": _unavailable,
    "too_far": _too_far,
    "declined": lambda p, n: _l("%(names)s declined this duty.", names=n.listed(p["volunteers"])),
    "too_long": lambda p, n: _l("%(names)s may serve less than this duty's %(minutes)s minutes in a week.",
                                names=n.listed(p["volunteers"]), minutes=p["minutes"]),
    "pinned_elsewhere": lambda p, n: _l("%(names)s pinned to %(others)s at the same time.",
                                        names=n.listed(p["volunteers"]), others=n.listed(p["demands"])),
    "busy": _busy,
    "max_minutes": lambda p, n: _l("%(names)s reached their weekly hours.", names=n.listed(p["volunteers"])),
    "max_assignments": lambda p, n: _l("%(names)s reached their most duties a week.",
                                       names=n.listed(p["volunteers"])),
    "not_found": _not_found,
    "pinned_clash": _pinned_clash,
    "infeasible": lambda p, n: _l("Nothing was planned: the pins contradict each other."),
    "pin_dropped": _pin_dropped,
    # the rules one pin breaks on its own (problem.valid_pins)
    "unplannable": lambda p, n: _l("Not active or not available this week."),
    "lacks_skills": lambda p, n: _l("%(names)s lacks %(skills)s.", names=n.of(p["volunteer"]),
                                    skills=n.skill_list(p["skills"])),
    "not_available": lambda p, n: _l("%(names)s is not available %(when)s.", names=n.of(p["volunteer"]),
                                     when=_when(p)),
    "out_of_reach": lambda p, n: _l("%(names)s lives %(m)s m away; their limit is %(limit)s m.",
                                    names=n.of(p["volunteer"]), m=p["distance_m"], limit=p["limit_m"]),
    "over_load": lambda p, n: _l("%(names)s would go over their weekly hours or duties.", names=n.of(p["volunteer"])),
    # why a plan job failed (service.run_plan_job)
    "pins_clash": _pins_clash,
    "worker_lost": lambda p, n: _l("The planning stopped answering: no result within the time limit."),
    "error": lambda p, n: p["detail"],  # unforeseen: as raised, for whoever fixes it
}


def words(item: dict, names: Names, text: str = ""):
    """A stored ``{"code", "params"}`` in the reader's language; an unknown code as its English ``text``."""
    say = WORDS.get(item.get("code"))
    return say(item.get("params") or {}, names) if say else text or item.get("code", "")


def stored_words(texts: list[str], codes: list[dict] | None, names: Names) -> list:
    """Stored reasons or warnings in the reader's language. Rows stored before the codes were
    kept (``codes`` is None) have only their English texts: those are shown as they are."""
    if codes is None:
        return list(texts)
    return [words(code, names, text) for text, code in zip(texts, codes, strict=True)]
