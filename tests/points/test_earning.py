"""Earning rules, one by one: rate by service type, multipliers, weekly cap, approval, exactly once, reversal."""
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from volunteer_app.accounts.policy import Actor
from volunteer_app.errors import InvalidInput
from volunteer_app.extensions import db
from volunteer_app.points import ledger, service
from volunteer_app.points.models import Approval, Earning, EarningStatus, Transfer
from volunteer_app.roster.models import Assignment, CallOut, Demand, DemandKind, RosterWeek

from tests.support.points import MONDAY_MORNING, balance_of, fund

EVENING = MONDAY_MORNING.replace(hour=19)
NATIONAL_DAY = datetime(2026, 10, 1, 9, 0)


@pytest.fixture()
def earn(town):
    """Earn for a fresh source of the first volunteer; returns the points posted (0 if none)."""
    sources = iter(range(1, 1000))

    def post(minutes=60, service_type=None, at=MONDAY_MORNING, flags=(), volunteer=0):
        transfer = service.earn_for_source("test", next(sources), town.volunteer_ids[volunteer], town.community_id,
                                           minutes, service_type, at, set(flags))
        db.session.commit()
        return transfer.amount if transfer else 0
    return post


def test_without_a_rule_the_defaults_apply(earn):
    assert earn(minutes=90) == 15  # 10 points an hour


def test_points_per_hour_by_service_type(town, set_rule, earn):
    set_rule(town.community, default_rate=8, rates={"haircut": 20, "shift": 12})
    assert earn(service_type="haircut") == 20
    assert earn(service_type="shift", minutes=30) == 6
    assert earn(service_type="unknown") == 8
    assert earn(service_type=None) == 8


def test_points_are_rounded_down_never_paying_a_fraction(town, set_rule, earn):
    set_rule(town.community, default_rate=10)
    assert earn(minutes=5) == 0  # 0.83 points
    assert earn(minutes=59) == 9


MULTIPLIED = [  # at, flags, points for an hour at 10 points an hour
    (EVENING, (), 15),  # evening ×1.5
    (MONDAY_MORNING.replace(hour=5), (), 15),  # before 06:00 is night service too
    (NATIONAL_DAY, (), 20),  # public holiday ×2
    (MONDAY_MORNING, ("callout",), 30),  # emergency call-out ×3
    (NATIONAL_DAY.replace(hour=19), ("callout",), 30),  # the largest multiplier counts, they do not stack
    (datetime(2026, 12, 5, 9, 0), (), 10),  # an ordinary Saturday is no holiday
]


def test_multipliers(town, set_rule, earn):
    set_rule(town.community, default_rate=10, evening_percent=150, holiday_percent=200, callout_percent=300)
    assert [earn(at=at, flags=flags) for at, flags, _ in MULTIPLIED] == [points for *_, points in MULTIPLIED]


def test_evening_starts_when_the_community_says(town, set_rule, earn):
    set_rule(town.community, evening_from=time(20, 0))
    assert earn(at=EVENING) == 10
    assert earn(at=EVENING.replace(hour=20)) == 15


def test_weekly_cap_per_volunteer_and_iso_week(town, set_rule, earn):
    set_rule(town.community, weekly_cap=25)
    assert earn() == 10
    assert earn() == 10
    assert earn() == 5  # capped to what is left
    assert earn() == 0  # nothing left: recorded as capped
    assert earn(volunteer=1) == 10  # another volunteer has their own cap
    assert earn(at=MONDAY_MORNING + timedelta(days=7)) == 10  # the next ISO week starts afresh
    capped = db.session.scalars(select(Earning).where(Earning.status == EarningStatus.capped)).all()
    assert [(e.base_points, e.points) for e in capped] == [(10, 0)]


def test_a_reversed_earning_frees_its_share_of_the_cap(town, set_rule, earn):
    set_rule(town.community, weekly_cap=10)
    assert earn() == 10
    service.reverse_source("test", 1, "not served")
    db.session.commit()
    assert earn() == 10


def test_unknown_flags_and_non_positive_minutes_are_refused(earn):
    with pytest.raises(InvalidInput) as error:
        earn(flags=("birthday",))
    assert "flags" in error.value.errors
    for minutes in (0, -30, 1.5):
        with pytest.raises(InvalidInput) as error:
            earn(minutes=minutes)
        assert "minutes" in error.value.errors
    db.session.rollback()


def test_a_source_earns_exactly_once(town):
    args = ("assignment", 7, town.volunteer_ids[0], town.community_id, 60, None, MONDAY_MORNING, set())
    first = service.earn_for_source(*args)
    db.session.commit()
    again = service.earn_for_source(*args)
    db.session.commit()
    assert again.id == first.id
    assert db.session.scalar(select(func.count(Transfer.id))) == 1
    assert balance_of(first.to_account_id) == 10


def test_reversing_a_source_posts_one_reversal(town):
    transfer = service.earn_for_source("request", 3, town.volunteer_ids[0], town.community_id, 120, None,
                                       MONDAY_MORNING, set())
    db.session.commit()
    reversal = service.reverse_source("request", 3, "complaint upheld")
    db.session.commit()
    assert service.reverse_source("request", 3, "again").id == reversal.id
    assert reversal.reverses_id == transfer.id and reversal.amount == 20
    assert balance_of(transfer.to_account_id) == 0
    assert service.reverse_source("request", 99, "never earned") is None
    assert ledger.verify().ok


def test_a_source_served_again_after_its_reversal_earns_again(town):
    args = ("assignment", 5, town.volunteer_ids[0], town.community_id, 60, None, MONDAY_MORNING, set())
    first = service.earn_for_source(*args)
    service.reverse_source("assignment", 5, "marked by mistake")
    second = service.earn_for_source(*args)
    db.session.commit()
    assert second.id != first.id and balance_of(second.to_account_id) == 10
    assert service.reverse_source("assignment", 5, "and undone again").reverses_id == second.id


def test_points_already_spent_cannot_be_taken_back(town, make_item):
    account = fund(town.volunteer_ids[0], town.community_id, 20)
    payer = db.session.get(type(account), account.id)
    service.redeem(Actor.of(town.coordinator_user), payer, town.carpet.id, 1, "key-spend-1", "")
    db.session.commit()
    with pytest.raises(ledger.InsufficientPoints):
        service.reverse_source("test", db.session.scalar(select(Earning.source_id)), "too late")
    db.session.rollback()
    assert db.session.scalar(select(Earning.status)) == EarningStatus.posted


def test_coordinator_approval_holds_the_points_until_approved(town, set_rule):
    set_rule(town.community, approval=Approval.coordinator, weekly_cap=15)
    for source_id in (1, 2):
        assert service.earn_for_source("request", source_id, town.volunteer_ids[0], town.community_id, 60, None,
                                       MONDAY_MORNING, set()) is None
    db.session.commit()
    first, second = db.session.scalars(select(Earning).order_by(Earning.id)).all()
    assert first.status == EarningStatus.pending and first.base_points == 10
    coordinator = Actor.of(town.coordinator_user)
    service.approve_earning(coordinator, first.id)
    service.reject_earning(coordinator, second.id, "duplicate report")
    db.session.commit()
    assert (first.status, first.points, second.status) == (EarningStatus.posted, 10, EarningStatus.rejected)
    # A rejected source stays rejected when it is posted again.
    assert service.earn_for_source("request", 2, town.volunteer_ids[0], town.community_id, 60, None,
                                   MONDAY_MORNING, set()) is None


def test_a_pending_earning_whose_source_is_undone_is_withdrawn(town, set_rule):
    set_rule(town.community, approval=Approval.coordinator)
    service.earn_for_source("request", 1, town.volunteer_ids[0], town.community_id, 60, None, MONDAY_MORNING, set())
    assert service.reverse_source("request", 1, "request reopened") is None
    db.session.commit()
    assert db.session.scalar(select(Earning.status)) == EarningStatus.reversed


def _served_assignment(town, start: datetime, minutes: int, skills=(), callout=False) -> Assignment:
    label = "{}-W{:02d}".format(*start.isocalendar()[:2])
    week = db.session.scalar(select(RosterWeek).where(RosterWeek.week == label)) or \
        RosterWeek(community_id=town.community_id, week=label)
    demand = Demand(week=week, kind=DemandKind.task if callout else DemandKind.shift, title="值守", start=start,
                    end=start + timedelta(minutes=minutes), skills=list(skills), lat=43.88, lon=125.32)
    db.session.add(demand)
    db.session.flush()
    assignment = Assignment(week_id=week.id, demand=demand, volunteer_id=town.volunteer_ids[0])
    db.session.add(assignment)
    db.session.flush()
    if callout:
        db.session.add(CallOut(community_id=town.community_id, demand_id=demand.id))
    db.session.commit()
    return assignment


def test_roster_hook_reads_minutes_service_type_and_call_outs(town, set_rule):
    set_rule(town.community, default_rate=10, rates={"shift": 12, "nursing": 30}, callout_percent=200)
    shift = _served_assignment(town, MONDAY_MORNING, 120)
    nursing = _served_assignment(town, MONDAY_MORNING, 60, skills=("first_aid", "nursing"))
    urgent = _served_assignment(town, MONDAY_MORNING, 60, callout=True)
    amounts = [service.earn_for_assignment(a).amount for a in (shift, nursing, urgent)]
    db.session.commit()
    assert amounts == [24, 30, 20]  # urgent: a task at the default rate, ×2 for the call-out
    assert service.earn_for_assignment(shift).amount == 24  # idempotent
    assert service.reverse_assignment(shift).amount == 24
    db.session.commit()
    assert ledger.verify().ok
