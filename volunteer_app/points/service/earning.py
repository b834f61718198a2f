"""Earning (服务积分): a community's earning rule, the points one served duty or request earns,
posted exactly once, capped per week, reversed when taken back, approved by a coordinator
when the rule says so.
"""
from datetime import datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ...accounts import policy
from ...accounts.policy import Actor
from ...errors import Conflict, InvalidInput
from ...extensions import db
from ...holidays.service import day_status
from ...people.models import Volunteer
from ...places.models import Community
from ..labels import POINTS_LABELS
from ..ledger import lock_accounts, post_transfer, reversal_of, reverse_transfer
from ..models import AccountKind, Approval, Earning, EarningRule, EarningStatus, Transfer, TransferKind
from .accounts import community_account, volunteer_account
from .common import local_naive


MULTIPLIERS = ("evening", "holiday", "callout")  # each names a ``<flag>_percent`` column of the rule
NIGHT_ENDS = time(6, 0)  # service starting before this counts as evening (night) service too


def default_rule(community_id: int) -> EarningRule:
    """The rule of a community that has not set one: the column defaults (never saved)."""
    rule = EarningRule(community_id=community_id, rates={})
    for column in EarningRule.__table__.columns:
        if column.default is not None and column.default.is_scalar and getattr(rule, column.key) is None:
            setattr(rule, column.key, column.default.arg)
    return rule


def rule_for(community_id: int) -> EarningRule:
    rule = db.session.scalar(select(EarningRule).where(EarningRule.community_id == community_id))
    return rule if rule is not None else default_rule(community_id)


def earning_terms(rule: EarningRule, minutes: int, service_type: str | None, at: datetime,
                  flags: set[str]) -> tuple[int, int, int, list[str]]:
    """``(rate, percent, points, flags)`` for service under ``rule``, before the weekly cap.

    Evening and holiday are read from the time; the caller adds "callout".
    The largest applicable multiplier counts (they do not stack); points are
    rounded down, so a rule never pays a fraction.
    """
    unknown = set(flags) - set(MULTIPLIERS)
    if unknown:
        raise InvalidInput(_l("Unknown earning flag."),
                           {"flags": [_l("Unknown: %(flags)s", flags=", ".join(sorted(unknown)))]}, code="unknown_flag")
    flags = set(flags)
    if at.time() >= rule.evening_from or at.time() < NIGHT_ENDS:
        flags.add("evening")
    if day_status(at.date()).is_public_holiday:
        flags.add("holiday")
    rate = rule.rates.get(service_type, rule.default_rate) if service_type else rule.default_rate
    percent = max([100] + [getattr(rule, f"{flag}_percent") for flag in flags])
    return rate, percent, minutes * rate * percent // 6000, sorted(flags)


def _source(source_kind: str):
    """What earned the points, in the words of whoever reads the memo."""
    return POINTS_LABELS["source"].get(source_kind, source_kind)


def _earning_for(source_kind: str, source_id: int) -> Earning | None:
    return db.session.scalar(select(Earning).where(Earning.source_kind == source_kind, Earning.source_id == source_id))


def earn_for_source(source_kind: str, source_id: int, volunteer_id: int, community_id: int, minutes: int,
                    service_type: str | None, at: datetime, flags: set[str]) -> Transfer | None:
    """Post the points for one served source, exactly once; the transfer, or None if nothing was posted.

    Called again for the same source it returns the first result (the unique
    source key makes a concurrent double post fail instead of paying twice).
    A source whose earning was reversed (un-served) earns afresh when served
    again; one a coordinator rejected does not. With coordinator approval the
    earning waits as ``pending`` and None is returned.
    """
    if type(minutes) is not int or minutes <= 0:
        raise InvalidInput(_l("Service time must be a positive whole number of minutes."),
                           {"minutes": [_l("Enter a whole number of at least 1.")]}, code="bad_minutes")
    volunteer = db.session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise InvalidInput(_l("No such volunteer."), {"volunteer_id": [_l("No such volunteer.")]}, code="unknown_volunteer")
    if db.session.get(Community, community_id) is None:
        raise InvalidInput(_l("No such community."), {"community_id": [_l("No such community.")]},
                           code="unknown_community")
    earning = _earning_for(source_kind, source_id)
    if earning is not None and earning.status != EarningStatus.reversed:
        return earning.transfer if earning.status == EarningStatus.posted else None
    at = local_naive(at)
    rule = rule_for(community_id)
    rate, percent, points, all_flags = earning_terms(rule, minutes, service_type, at, flags)
    if earning is None:
        earning = Earning(source_kind=source_kind, source_id=source_id)
        db.session.add(earning)
    earning.volunteer_id, earning.community_id, earning.at, earning.minutes = volunteer.id, community_id, at, minutes
    earning.service_type, earning.flags, earning.rate, earning.percent = service_type, all_flags, rate, percent
    earning.base_points, earning.points, earning.status, earning.reason_text = points, 0, EarningStatus.pending, ""
    db.session.flush()
    if rule.approval == Approval.coordinator:
        return None
    return post_earning(earning, rule)


def post_earning(earning: Earning, rule: EarningRule) -> Transfer | None:
    """Apply the weekly cap and post; the cap is read under the volunteer's account lock."""
    volunteer = db.session.get(Volunteer, earning.volunteer_id)
    if volunteer is None:
        raise Conflict(_l("The volunteer of this earning no longer exists."),
                       {"volunteer_id": [_l("The volunteer of this earning no longer exists.")]},
                       code="volunteer_deleted")
    source = community_account(AccountKind.issuance, earning.community_id)
    target = volunteer_account(volunteer)
    lock_accounts(source, target)
    points = earning.base_points
    if rule.weekly_cap is not None:
        monday = datetime.combine(earning.at.date() - timedelta(days=earning.at.weekday()), time.min)
        used = db.session.scalar(select(func.coalesce(func.sum(Earning.points), 0)).where(
            Earning.volunteer_id == earning.volunteer_id, Earning.community_id == earning.community_id,
            Earning.status == EarningStatus.posted, Earning.at >= monday, Earning.at < monday + timedelta(days=7),
            Earning.id != earning.id))
        points = max(0, min(points, rule.weekly_cap - used))
    earning.points = points
    if points == 0:
        earning.status = EarningStatus.capped
        db.session.flush()
        return None
    transfer = post_transfer(source, target, points, TransferKind.earning, earning.community_id,
                             memo=_l("%(source)s No. %(id)s: %(minutes)s min", source=_source(earning.source_kind),
                                     id=earning.source_id, minutes=earning.minutes),
                             details={"earning_id": earning.id, "rate": earning.rate, "percent": earning.percent,
                                      "flags": earning.flags, "base_points": earning.base_points,
                                      "capped": points < earning.base_points})
    earning.status, earning.transfer_id = EarningStatus.posted, transfer.id
    db.session.flush()  # the version check: a concurrent approval of the same earning fails here
    return transfer


def reverse_source(source_kind: str, source_id: int, reason) -> Transfer | None:
    """Undo the earning of a source (it was not served after all): post the reversing transfer once.

    Returns the reversal (the same one when called again), or None when
    nothing had been posted. Refused (422) if the volunteer has already spent
    the points: a balance never goes negative.
    """
    earning = _earning_for(source_kind, source_id)
    if earning is None or earning.status == EarningStatus.rejected:
        return None
    if earning.status == EarningStatus.reversed:
        return reversal_of(earning.transfer) if earning.transfer is not None else None
    posted = earning.status == EarningStatus.posted
    earning.status, earning.reason_text = EarningStatus.reversed, reason
    db.session.flush()  # claim the change (version check) before moving points
    if not posted:
        return None
    return reverse_transfer(earning.transfer, reason or _l("%(source)s No. %(id)s taken back",
                                                           source=_source(source_kind), id=source_id))


def earn_for_assignment(assignment) -> Transfer | None:
    """Roster hook: ``assignment`` was served; it earns for its served minutes (attended where recorded)."""
    from ...roster.models import CallOut
    from ...roster.service import served_minutes

    demand = assignment.demand
    community_id = demand.week.community_id
    rates = rule_for(community_id).rates
    service_type = next((skill for skill in demand.skills if skill in rates), demand.kind.value)
    is_callout = db.session.scalar(select(CallOut.id).where(CallOut.demand_id == demand.id)) is not None
    return earn_for_source("assignment", assignment.id, assignment.volunteer_id, community_id,
                           served_minutes(assignment), service_type,
                           demand.start, {"callout"} if is_callout else set())


def reverse_assignment(assignment, reason=_l("No longer marked as served")) -> Transfer | None:
    """Roster hook: the served mark was taken back."""
    return reverse_source("assignment", assignment.id, reason)


def earnings_query(actor: Actor, args: dict):
    """Earnings the actor may read: a volunteer's own; staff, their communities'."""
    statement = select(Earning).where(policy.where(actor, "points.read", Earning))
    for key in ("community_id", "volunteer_id", "status"):
        if args.get(key) is not None:
            statement = statement.where(getattr(Earning, key) == args[key])
    return statement.order_by(Earning.id.desc())


def _earning_to_decide(actor: Actor, earning_id: int) -> Earning:
    earning = policy.get(actor, "points.manage", Earning, earning_id)
    if earning.status != EarningStatus.pending:
        text = _l("This earning is already “%(status)s”; only those awaiting approval are decided.",
                  status=POINTS_LABELS["earning"][earning.status.value])
        raise Conflict(text, {"status": [text]}, code="already_decided")
    return earning


def approve_earning(actor: Actor, earning_id: int) -> Earning:
    earning = _earning_to_decide(actor, earning_id)
    earning.decided_by_id = actor.id
    post_earning(earning, rule_for(earning.community_id))
    return earning


def reject_earning(actor: Actor, earning_id: int, reason: str) -> Earning:
    earning = _earning_to_decide(actor, earning_id)
    if not reason.strip():
        raise InvalidInput(_l("Say why."), {"reason": [_l("Say why.")]}, code="reason_required")
    earning.status, earning.reason, earning.decided_by_id = EarningStatus.rejected, reason.strip()[:200], actor.id
    db.session.flush()
    return earning
