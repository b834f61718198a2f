"""Attendance (考勤): check-in and check-out at a station (签到 / 签退), the coordinator's ticks, the served
mark, and the one rule of how many minutes a served duty counts for.

A station's check-in code is an HMAC, under a key derived from the app's ``SECRET_KEY``, over the
station and a time stamp:

* the **live** code (shown on the station's page, which reloads itself) is signed over the
  ``CODE_WINDOW_S``-second window it was made in; it is accepted in that window and the next one,
  so a code read just before the window turns still works;
* the **printed** code (a sheet on the station's wall) is signed over the day it was printed and is
  accepted for ``PRINTED_DAYS`` days from that day. A printed code copied off the wall lets nobody
  check in anywhere else, nor outside their own duty: a scan only ever finds the scanning volunteer's
  own duty at that station, from ``GRACE`` before it starts to ``GRACE`` after it ends.

A duty is served when its check-out is recorded (or when the coordinator marks it so); serving writes
the duty's one ``ServiceLog`` (hours, yearly targets, reports) and sends ``duty_served`` (points), both
for :func:`served_minutes`. Changing the times of a served duty takes the mark back and serves it
again, so the log and the points follow the corrected times.
"""
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from ...accounts import policy
from ...accounts.policy import Actor
from ...clock import CHINA_TIME
from ...errors import Conflict, InvalidInput, NotFound
from ...events import duty_served, duty_unserved
from ...extensions import db
from ...labels import label
from ...models_base import utcnow
from ...people.models import ServiceLog
from ...places.models import Station
from ..models import Assignment, Demand
from .weeks import ACTIVE, record_of_week

CODE_WINDOW_S = 300  # a live code's window: five minutes
PRINTED_DAYS = 90  # a printed code's life
GRACE = timedelta(minutes=30)  # a scan finds a duty this long before its start and after its end


# --- served minutes: the one rule -------------------------------------------------------------------


def scheduled_minutes(demand: Demand) -> int:
    return int((demand.end - demand.start).total_seconds() // 60)


def served_minutes(assignment: Assignment) -> int:
    """The minutes a served duty counts for, wherever service time is counted (its ``ServiceLog``, hence
    hours, yearly targets and reports; the points earned).

    With attendance recorded (both check-in and check-out): check-out − check-in, capped at the duty's
    scheduled length plus ``GRACE`` (staying on a little counts, a forgotten check-out does not run on).
    Without it (the coordinator marked the duty served, or only a check-in is recorded): the scheduled
    minutes.
    """
    demand = assignment.demand
    if assignment.checked_in_at is None or assignment.checked_out_at is None:
        return scheduled_minutes(demand)
    attended = int((assignment.checked_out_at - assignment.checked_in_at).total_seconds() // 60)
    return max(0, min(attended, scheduled_minutes(demand) + int(GRACE.total_seconds() // 60)))


@dataclass(frozen=True)
class ServedRecord:
    """One attended service: a day, what was done, for how long."""

    served_on: date
    content: str
    minutes: int


def served_records(volunteer_id: int, start: date, end: date) -> list[ServedRecord]:
    """What a volunteer actually served from ``start`` to ``end`` (both included), oldest first: the
    service logs written when a duty is marked served (考勤), a request resolved, or hours entered by a
    coordinator; never planned duties. Duties count their :func:`served_minutes` (attended where
    recorded). Certificates read a period's service here; the caller has already reached the volunteer
    through the access policy."""
    logs = db.session.scalars(select(ServiceLog).where(
        ServiceLog.volunteer_id == volunteer_id, ServiceLog.served_on >= start, ServiceLog.served_on <= end)
        .order_by(ServiceLog.served_on, ServiceLog.id)).all()
    return [ServedRecord(log.served_on, log.description, log.minutes) for log in logs]


# --- the served mark ------------------------------------------------------------------------------------


def _serve(assignment: Assignment, today: date) -> None:
    demand = assignment.demand
    if assignment.status not in ACTIVE:
        raise Conflict(_l("This duty is %(state)s; it cannot be marked as served.",
                          state=label("assignment", assignment.status)),
                       {"served": [assignment.status.value]}, code="not_servable")
    if demand.start.date() > today:
        starts = _l("Not yet: the duty starts %(start)s.", start=demand.start.strftime("%Y-%m-%d %H:%M"))
        raise InvalidInput(starts, {"served": [starts]}, code="not_started")
    minutes = served_minutes(assignment)
    if minutes <= 0:
        short = _l("Check-out must be at least a minute after check-in.")
        raise InvalidInput(short, {"checked_out_at": [short]}, code="attendance_too_short")
    assignment.served_at = utcnow()
    db.session.add(ServiceLog(volunteer_id=assignment.volunteer_id, served_on=demand.start.date(), minutes=minutes,
                              description=demand.title[:128], assignment_id=assignment.id))
    db.session.flush()
    duty_served.send(assignment)


def _unserve(assignment: Assignment) -> None:
    duty_unserved.send(assignment)
    assignment.served_at = None
    db.session.execute(delete(ServiceLog).where(ServiceLog.assignment_id == assignment.id))
    db.session.flush()


def mark_served(actor: Actor, assignment_id: int, served: bool, today: date) -> Assignment:
    """考勤: record (or take back) that a duty was done: service hours and points, exactly once."""
    assignment = record_of_week(actor, "roster.attendance", Assignment, assignment_id)
    if served == (assignment.served_at is not None):
        return assignment  # already so: marking twice changes nothing
    if served:
        _serve(assignment, today)
    else:
        _unserve(assignment)
    db.session.flush()
    return assignment


def _settle(assignment: Assignment, today: date) -> None:
    """After the times changed: a served duty is served again at its new minutes; a check-out serves it."""
    if assignment.served_at is not None:
        _unserve(assignment)
        _serve(assignment, today)
    elif assignment.checked_out_at is not None:
        _serve(assignment, today)


# --- station codes ---------------------------------------------------------------------------------------


def _signature(station_id: int, stamp: str) -> str:
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), b"jiamenkou station check-in", hashlib.sha256).digest()
    return hmac.new(key, f"{station_id}:{stamp}".encode(), hashlib.sha256).hexdigest()[:20]


def _code(station_id: int, stamp: str) -> str:
    return f"{stamp}.{_signature(station_id, stamp)}"


def _window(now: datetime) -> int:
    return int(now.timestamp()) // CODE_WINDOW_S


def station_for_code(actor: Actor, station_id: int) -> Station:
    """A station whose check-in code the actor may show or print (its community's staff)."""
    return policy.get(actor, "roster.station_code", Station, station_id)


def live_code(station: Station, now: datetime) -> str:
    """The code of the current window (``now`` aware)."""
    return _code(station.id, f"w{_window(now)}")


def printed_code(station: Station, day: date) -> str:
    """The code for a sheet printed on ``day``; valid ``PRINTED_DAYS`` days from it."""
    return _code(station.id, f"p{day.toordinal()}")


def verify_code(station_id: int, code: str, now: datetime) -> None:
    """Refuse a code not signed for this station (422 ``bad_checkin_code``) or no longer current
    (422 ``checkin_code_expired``)."""
    stamp, _, signature = (code or "").partition(".")
    kind, number = stamp[:1], stamp[1:]
    if (kind not in ("w", "p") or not number.isdigit() or len(number) > 12
            or not hmac.compare_digest(signature, _signature(station_id, stamp))):
        bad = _l("This is not this station's check-in code.")
        raise InvalidInput(bad, {"code": [bad]}, code="bad_checkin_code")
    number = int(number)
    if kind == "w":
        fresh = _window(now) - 1 <= number <= _window(now)
    else:
        today = now.astimezone(CHINA_TIME).date().toordinal()
        fresh = number <= today < number + PRINTED_DAYS
    if not fresh:
        old = _l("This check-in code has expired. Scan the code the station shows now.")
        raise InvalidInput(old, {"code": [old]}, code="checkin_code_expired")


# --- scanning: the volunteer's own check-in and check-out ---------------------------------------------


def _local(now: datetime) -> datetime:
    return now.astimezone(CHINA_TIME).replace(tzinfo=None)


def duty_at_station(actor: Actor, station_id: int, now: datetime) -> Assignment | None:
    """The actor's duty at the station that a scan at ``now`` applies to: one checked in and not out
    first, else the next not checked in, within ``GRACE`` of its times."""
    policy.require(actor, "roster.check_in")
    at = _local(now)
    rows = db.session.scalars(select(Assignment).join(Demand).where(
        policy.where(actor, "roster.check_in", Assignment), Assignment.status.in_(ACTIVE),
        Demand.station_id == station_id, Demand.cancelled.is_(False),
        Demand.start <= at + GRACE, Demand.end >= at - GRACE).order_by(Demand.start)).all()
    open_ = [a for a in rows if a.checked_in_at is not None and a.checked_out_at is None]
    fresh = [a for a in rows if a.checked_in_at is None]
    return (open_ or fresh or [None])[0]


def scan(actor: Actor, station_id: int, code: str, now: datetime) -> Assignment:
    """The volunteer scanned the station's code: check in to their duty there, or check out of it."""
    policy.require(actor, "roster.check_in")
    verify_code(station_id, code, now)
    assignment = duty_at_station(actor, station_id, now)
    if assignment is None:
        raise NotFound(_l("You have no duty at this station now."), code="no_duty_here")
    at = _local(now).replace(second=0, microsecond=0)
    if assignment.checked_in_at is None:
        assignment.checked_in_at = at
    else:
        assignment.checked_out_at = at
        _settle(assignment, at.date())
    db.session.flush()
    return assignment


# --- the coordinator's ticks ----------------------------------------------------------------------------


def set_attendance(actor: Actor, assignment_id: int, checked_in_at: datetime | None,
                   checked_out_at: datetime | None, now: datetime) -> Assignment:
    """The coordinator records (or corrects, or clears) a duty's check-in and check-out on the duty sheet.

    Times are China time. A check-out needs a check-in before it; neither may be in the future.
    """
    assignment = record_of_week(actor, "roster.attendance", Assignment, assignment_id)
    at = _local(now)
    for name, moment in (("checked_in_at", checked_in_at), ("checked_out_at", checked_out_at)):
        if moment is not None and moment > at:
            ahead = _l("Not yet: %(time)s is still to come.", time=moment.strftime("%Y-%m-%d %H:%M"))
            raise InvalidInput(ahead, {name: [ahead]}, code="attendance_in_future")
    if checked_out_at is not None and (checked_in_at is None or checked_out_at <= checked_in_at):
        after = _l("Check-out must come after check-in.")
        raise InvalidInput(after, {"checked_out_at": [after]}, code="checkout_before_checkin")
    if (assignment.checked_in_at, assignment.checked_out_at) == (checked_in_at, checked_out_at):
        return assignment
    assignment.checked_in_at, assignment.checked_out_at = checked_in_at, checked_out_at
    _settle(assignment, at.date())
    db.session.flush()
    return assignment
