"""Demo attendance and teams, on top of the demo district (``demo.seed`` calls this).

Each community gets last week's roster published from its duty templates, with the duties that are over
checked in and out (some late, some leaving early), a few only marked served and a few not recorded;
a 义诊 morning three days ago whose booked residents mostly came (到场); and two teams, an 应急队 (led
by ``volunteer1`` in that volunteer's community) and a 义诊队 of its volunteers who do 义诊. Attendance
goes through the roster's rules (``set_attendance``, ``mark_served``), so hours and points follow it.
"""
import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from .accounts.models import User
from .accounts.policy import Actor
from .clock import CHINA_TIME, IsoWeek
from .extensions import db
from .people.models import Resident, Volunteer, VolunteerStatus
from .places.models import Community, Station, StationType
from .roster import service as roster
from .roster.models import Assignment, Team
from .service_requests.models import Booking, BookingStatus, ServiceEvent, ServiceSlot, ServiceType

SEED = 20261203


def seed(today: date) -> None:
    """Flushes; the caller commits."""
    rng = random.Random(SEED)
    now = datetime.combine(today, time(12), tzinfo=CHINA_TIME).astimezone(UTC)
    leader = db.session.scalar(select(User.volunteer_id).where(User.username == "volunteer1"))
    for community in db.session.scalars(select(Community).order_by(Community.id)):
        volunteers = db.session.scalars(select(Volunteer).where(
            Volunteer.community_id == community.id, Volunteer.status == VolunteerStatus.active)
            .order_by(Volunteer.id)).all()
        if not volunteers:
            continue
        _last_week(rng, community, volunteers, today, now)
        _past_clinic(rng, community, today)
        _teams(rng, community, volunteers, leader)
    db.session.flush()


def _last_week(rng: random.Random, community: Community, volunteers: list[Volunteer], today: date,
               now: datetime) -> None:
    week = roster.open_week(community, str(IsoWeek.of(today - timedelta(days=7))))
    turn = iter(rng.sample(volunteers, len(volunteers)) * 50)
    pairs = {(demand.id, next(turn).id) for demand in week.demands for _ in range(demand.needed)}
    roster.publish_pairs(week, pairs, None, "demo")
    actor, at = Actor.system(), now.astimezone(CHINA_TIME).replace(tzinfo=None)
    for assignment in db.session.scalars(select(Assignment).where(Assignment.week_id == week.id)
                                         .order_by(Assignment.id)).all():
        demand = assignment.demand
        if demand.end > at:
            continue
        luck = rng.random()
        if luck < 0.65:
            came = demand.start + timedelta(minutes=rng.randint(-15, 20))
            left = demand.end + timedelta(minutes=rng.randint(-40, 15))
            roster.set_attendance(actor, assignment.id, came, left, now)
        elif luck < 0.9:
            roster.mark_served(actor, assignment.id, True, today)


def _past_clinic(rng: random.Random, community: Community, today: date) -> None:
    """A 义诊 morning three days ago at the party centre, its places booked, most residents come."""
    clinic = db.session.scalar(select(ServiceType).where(ServiceType.community_id == community.id,
                                                         ServiceType.code == "clinic"))
    centre = db.session.scalar(select(Station).where(Station.community_id == community.id,
                                                     Station.station_type == StationType.party_center)
                               .order_by(Station.id).limit(1))
    if clinic is None or centre is None:
        return
    starts = datetime.combine(today - timedelta(days=3), time(9))
    step, capacity = timedelta(minutes=clinic.duration_min), 2
    event = ServiceEvent(community_id=community.id, service_type_id=clinic.id, service_type=clinic,
                         station_id=centre.id, title=f"{community.name}{clinic.name}", starts_at=starts,
                         ends_at=starts + 6 * step, slot_minutes=clinic.duration_min, capacity_per_slot=capacity,
                         slots=[ServiceSlot(starts_at=starts + i * step, ends_at=starts + (i + 1) * step,
                                            capacity=capacity, booked=0) for i in range(6)])
    db.session.add(event)
    db.session.flush()
    residents = db.session.scalars(select(Resident).where(Resident.community_id == community.id)
                                   .order_by(Resident.id)).all()
    places = [slot for slot in event.slots for _ in range(capacity)]
    for slot, resident in zip(places, rng.sample(residents, min(len(residents), len(places)))):
        slot.booked += 1
        came = rng.random() < 0.8
        db.session.add(Booking(
            slot_id=slot.id, event_id=event.id, community_id=community.id, grid_id=resident.grid_id,
            resident_id=resident.id, starts_at=slot.starts_at, ends_at=slot.ends_at, status=BookingStatus.booked,
            booked_at=starts - timedelta(days=rng.randint(1, 5)),
            attended_at=slot.starts_at + timedelta(minutes=rng.randint(0, 5)) if came else None))


def _teams(rng: random.Random, community: Community, volunteers: list[Volunteer], leader_id: int | None) -> None:
    """An 应急队 (led by ``volunteer1`` where they live) and a 义诊队 (those who do 义诊 first)."""
    ours = [v for v in volunteers if v.id == leader_id]
    emergency = ours + rng.sample([v for v in volunteers if v.id != leader_id], min(7, len(volunteers) - len(ours)))
    doctors = sorted(volunteers, key=lambda v: ("clinic" not in {s.code for s in v.skills}, v.id))[:5]
    for name, members in (("应急队", emergency), ("义诊队", doctors)):
        db.session.add(Team(community_id=community.id, name=name, leader_id=members[0].id, members=members))
