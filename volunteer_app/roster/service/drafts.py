"""The draft and its publication: a coordinator's pins, bans, re-asks and moves, the one gate every
change of the draft passes, and publishing it as the next numbered version, keeping everyone else's
assignments."""
from collections import Counter
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from ...accounts import policy
from ...accounts.policy import Actor
from ...errors import Conflict, InvalidInput
from ...events import week_published
from ...extensions import db
from ...models_base import utcnow
from ...notifications.service import Note, notify, users_of_volunteers
from ...people.models import Volunteer
from ...resources import check_version
from ..models import (
    BARRING, Assignment, AssignmentStatus, Demand, DraftAssignment, PairRule, PairRuleKind, RosterVersion, RosterWeek,
    WeekStatus,
)
from ..problem import build_problem, demand_key, live_pairs, valid_pins, volunteer_key
from ..reasons import Names, skill_names, words
from .weeks import ACTIVE

#: Notes the app writes on the versions it publishes itself (a coordinator's note is their own text).


def barred_pairs(week: RosterWeek) -> set[tuple[int, int]]:
    """(demand, volunteer) pairs banned by the coordinator or declined by the volunteer."""
    return set(db.session.execute(select(PairRule.demand_id, PairRule.volunteer_id).where(
        PairRule.week_id == week.id, PairRule.kind.in_(BARRING))).all())


def set_draft(week: RosterWeek, pairs: set[tuple[int, int]]) -> None:
    """The draft becomes ``pairs``, less every barred pair: the one gate every solve, edit and publish passes."""
    pairs = set(pairs) - barred_pairs(week)
    db.session.execute(delete(DraftAssignment).where(DraftAssignment.week_id == week.id))
    db.session.add_all(DraftAssignment(week_id=week.id, demand_id=d, volunteer_id=v) for d, v in sorted(pairs))
    db.session.flush()


def draft_pairs(week: RosterWeek) -> set[tuple[int, int]]:
    return set(db.session.execute(select(DraftAssignment.demand_id, DraftAssignment.volunteer_id)
                                  .where(DraftAssignment.week_id == week.id)).all())


def sheet_volunteers(week: RosterWeek) -> set[int]:
    """Who the printed duty sheet names: the live roster's people (not removed, not declined), or the
    draft's before the week is first published; duties that were cancelled left out."""
    duties = select(Demand.id).where(Demand.week_id == week.id, Demand.cancelled.is_(False))
    live = db.session.execute(select(Assignment.volunteer_id, Assignment.status).where(
        Assignment.week_id == week.id, Assignment.demand_id.in_(duties))).all()
    has_live = db.session.scalar(select(Assignment.id).where(Assignment.week_id == week.id).limit(1)) is not None
    if has_live:
        return {volunteer for volunteer, status in live
                if status not in (AssignmentStatus.removed, AssignmentStatus.declined)}
    return set(db.session.scalars(select(DraftAssignment.volunteer_id).where(
        DraftAssignment.week_id == week.id, DraftAssignment.demand_id.in_(duties))))


@dataclass(frozen=True)
class DraftSummary:
    """The draft in the figures a coordinator reads: places, what is missing, the spread of work."""

    places: int
    filled: int
    people: int  # volunteers with at least one duty
    most: int  # duties of the busiest volunteer
    fewest: int  # duties of the least busy volunteer who has any
    changes_to_publish: int

    @property
    def missing(self) -> int:
        return self.places - self.filled


def draft_summary(week: RosterWeek) -> DraftSummary:
    drafted = draft_pairs(week)
    per_demand = Counter(d for d, _ in drafted)
    per_volunteer = Counter(v for _, v in drafted)
    open_demands = [d for d in week.demands if not d.cancelled]
    return DraftSummary(
        places=sum(d.needed for d in open_demands), filled=sum(min(per_demand[d.id], d.needed) for d in open_demands),
        people=len(per_volunteer), most=max(per_volunteer.values(), default=0),
        fewest=min(per_volunteer.values(), default=0), changes_to_publish=len(drafted ^ live_pairs(week)))


# --- hand edits on the draft ------------------------------------------------------------


def _demand_in(week: RosterWeek, demand_id: int) -> Demand:
    demand = db.session.get(Demand, demand_id)
    if demand is None or demand.week_id != week.id:
        raise InvalidInput(_l("Unknown duty."), {"demand_id": [_l("Not a duty of this week.")]}, code="unknown_demand")
    return demand


def _volunteer_in(week: RosterWeek, volunteer_id: int) -> Volunteer:
    volunteer = db.session.get(Volunteer, volunteer_id)
    if volunteer is None or volunteer.community_id != week.community_id:
        raise InvalidInput(_l("Unknown volunteer."), {"volunteer_id": [_l("Not a volunteer of this community.")]},
                           code="unknown_volunteer")
    return volunteer


def set_rule(actor: Actor, week: RosterWeek, demand_id: int, volunteer_id: int, kind: PairRuleKind | None,
             reason: str = "") -> None:
    """Pin, forbid, or (``kind=None``) clear a pair; the draft follows at once."""
    policy.require(actor, "roster.draft", week)
    _demand_in(week, demand_id)
    _volunteer_in(week, volunteer_id)
    rule = rule_for(demand_id, volunteer_id)
    if rule is not None and rule.kind == PairRuleKind.declined:
        raise Conflict(_l("The volunteer declined this duty."), {"volunteer_id": [
            _l("Declined this duty; re-ask them if they should be asked again.")]}, code="declined")
    if kind is None:
        if rule is not None:
            db.session.delete(rule)
        db.session.flush()
        return
    if kind == PairRuleKind.pinned:
        _check_pin(week, demand_id, volunteer_id)
    rule = rule or PairRule(week_id=week.id, demand_id=demand_id, volunteer_id=volunteer_id)
    rule.kind, rule.reason = kind, reason
    db.session.add(rule)
    pairs = draft_pairs(week)
    pairs = pairs | {(demand_id, volunteer_id)} if kind == PairRuleKind.pinned else pairs - {(demand_id, volunteer_id)}
    set_draft(week, pairs)


def rule_for(demand_id: int, volunteer_id: int) -> PairRule | None:
    return db.session.scalar(select(PairRule).where(PairRule.demand_id == demand_id,
                                                    PairRule.volunteer_id == volunteer_id))


def reask(actor: Actor, week: RosterWeek, demand_id: int, volunteer_id: int) -> PairRule:
    """The coordinator asks a volunteer who declined once more: the decline becomes a pin (both on the
    audit log, with who did it), the draft gets the pair, and the next publish asks them to confirm again."""
    policy.require(actor, "roster.draft", week)
    _demand_in(week, demand_id)
    _volunteer_in(week, volunteer_id)
    rule = rule_for(demand_id, volunteer_id)
    if rule is None or rule.kind != PairRuleKind.declined:
        raise InvalidInput(_l("Nothing to re-ask."), {"volunteer_id": [_l("Has not declined this duty.")]},
                           code="not_declined")
    _check_pin(week, demand_id, volunteer_id)
    db.session.delete(rule)
    db.session.flush()
    pin = PairRule(week_id=week.id, demand_id=demand_id, volunteer_id=volunteer_id, kind=PairRuleKind.pinned,
                   reason=f"re-asked by {actor.user.username if actor.user else 'the system'}")
    db.session.add(pin)
    db.session.flush()
    set_draft(week, draft_pairs(week) | {(demand_id, volunteer_id)})
    return pin


def _check_pin(week: RosterWeek, demand_id: int, volunteer_id: int) -> None:
    """A pin must obey skills, availability, reach and load on its own (as the spec demands)."""
    document, _ = build_problem(week)
    if volunteer_key(volunteer_id) not in {v["id"] for v in document["volunteers"]}:
        broken = [{"code": "unplannable"}]
    else:
        _, dropped = valid_pins(document, [(demand_key(demand_id), volunteer_key(volunteer_id))])
        broken = dropped[0].params["broken"] if dropped else []
    if broken:
        volunteer = _volunteer_in(week, volunteer_id)
        names = Names(volunteers={volunteer.id: volunteer.name}, skills=skill_names())
        raise InvalidInput(_l("%(name)s cannot be pinned to this duty.", name=volunteer.name),
                           {"volunteer_id": [words(b, names) for b in broken]}, code="pin_refused")


def move(actor: Actor, week: RosterWeek, demand_id: int, from_volunteer_id: int, to_volunteer_id: int) -> None:
    """Give a drafted place to someone else: ban the first, pin the second."""
    policy.require(actor, "roster.draft", week)
    if (demand_id, from_volunteer_id) not in draft_pairs(week):
        raise InvalidInput(_l("Not in the draft."), {"from_volunteer_id": [_l("Is not drafted on this duty.")]},
                           code="not_drafted")
    set_rule(actor, week, demand_id, to_volunteer_id, PairRuleKind.pinned, "moved by coordinator")
    set_rule(actor, week, demand_id, from_volunteer_id, PairRuleKind.forbidden, "moved by coordinator")


# --- publishing ---------------------------------------------------------------------------


def publish(actor: Actor, week: RosterWeek, expected_version: int, note="") -> RosterVersion:
    """Make the draft the live roster at once; the requests its solve planned go with it
    (``week_published``); a stale ``expected_version`` answers 409."""
    policy.require(actor, "roster.publish", week)
    check_version(week, expected_version)
    version = publish_pairs(week, draft_pairs(week), actor, note)
    week_published.send(week, planned_requests={int(r): v for r, v in (week.draft_requests or {}).items()},
                        actor=actor)
    week.draft_requests = {}
    return version


def publish_pairs(week: RosterWeek, pairs: set[tuple[int, int]], by: Actor | None, note) -> RosterVersion:
    """One transaction: live assignments follow ``pairs``, a new numbered version records the change
    (``by`` whom: None for the repair after a decline). Its callers have asked the policy.

    Bumping the week's version makes a concurrent publish of the same week
    fail its UPDATE (409) instead of producing two current versions.
    """
    pairs = set(pairs) - barred_pairs(week)
    live = {(a.demand_id, a.volunteer_id): a for a in db.session.scalars(
        select(Assignment).where(Assignment.week_id == week.id))}
    standing = {pair for pair, a in live.items() if a.status in ACTIVE}
    newly_assigned, taken_off = pairs - standing, standing - pairs
    for pair in taken_off:
        live[pair].status = AssignmentStatus.removed
    for demand_id, volunteer_id in newly_assigned:
        row = live.get((demand_id, volunteer_id)) or Assignment(week_id=week.id, demand_id=demand_id,
                                                                 volunteer_id=volunteer_id)
        row.status, row.reason, row.answered_at = AssignmentStatus.assigned, "", None
        db.session.add(row)
    last = db.session.scalar(select(RosterVersion).where(RosterVersion.week_id == week.id)
                             .order_by(RosterVersion.number.desc()).limit(1))
    before = {tuple(p) for p in last.assignments} if last else set()
    week.published_version += 1
    week.status = WeekStatus.published
    week.updated_at = utcnow()
    version = RosterVersion(week_id=week.id, number=week.published_version, published_by_id=by.id if by else None,
                            note_text=note, assignments=sorted(map(list, pairs)), added=sorted(map(list, pairs - before)),
                            removed=sorted(map(list, before - pairs)))
    db.session.add(version)
    # The draft follows the same change, keeping the coordinator's unpublished edits.
    set_draft(week, (draft_pairs(week) - taken_off) | newly_assigned)
    _notify_changes(week, newly_assigned, taken_off)
    return version


def _notify_changes(week: RosterWeek, added, removed) -> None:
    link = f"/my/week/{week.week}"
    for volunteer_id in {v for _, v in added}:
        notify(users_of_volunteers([volunteer_id]), Note(
            "assigned", _l("New duty in %(week)s", week=week.week), _l("Please confirm, or say why you cannot come."),
            link))
    for volunteer_id in {v for _, v in removed} - {v for _, v in added}:
        notify(users_of_volunteers([volunteer_id]), Note(
            "changed", _l("Your roster for %(week)s changed", week=week.week),
            _l("Some of your duties were removed."), link))


