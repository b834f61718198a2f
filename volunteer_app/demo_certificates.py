"""Demo service-record certificates on top of the demo district (``demo.seed`` calls this).

Each community has its issuer (居民委员会, its director, a phone); volunteer1 and the busiest volunteers of
each community have certificates of the last 150 days issued by their community's coordinator, one of them
revoked and replaced by a correction, and a few applications wait for the coordinator (one accepted).
Everything goes through the certificates' own rules, so the facts are those of the demo's service logs.
"""
from datetime import date, timedelta

from sqlalchemy import func, select

from .accounts.models import Role, User
from .accounts.policy import Actor
from .certificates import service
from .certificates.models import CertificateIssuer
from .extensions import db
from .people.models import ServiceLog, Volunteer
from .places.models import Community

DIRECTORS = ("王丽华", "陈建国", "刘海燕")
PERIOD_DAYS = 150
ISSUED_PER_COMMUNITY = 3


def seed(today: date) -> None:
    """Add issuers and certificates to the freshly seeded district (flushes; the caller commits)."""
    start, end = today - timedelta(days=PERIOD_DAYS), today - timedelta(days=1)
    period = {"period_start": start, "period_end": end, "purpose": "升学材料"}
    own = db.session.scalar(select(User.volunteer_id).where(User.username == "volunteer1"))
    for index, community in enumerate(db.session.scalars(select(Community).order_by(Community.id))):
        db.session.add(CertificateIssuer(community_id=community.id, name=f"{community.name}居民委员会",
                                         person_in_charge=DIRECTORS[index % len(DIRECTORS)],
                                         contact=f"010-6{index + 1:03d}8800", prefix=community.code.upper()[:12]))
        db.session.flush()
        coordinator = Actor.of(db.session.scalar(select(User).where(User.username == f"coord-{community.code}"))
                               or db.session.scalar(select(User).where(User.role == Role.admin).limit(1)))
        served = db.session.scalars(
            select(Volunteer.id).join(ServiceLog, ServiceLog.volunteer_id == Volunteer.id)
            .where(Volunteer.community_id == community.id, ServiceLog.served_on.between(start, end))
            .group_by(Volunteer.id).order_by(func.sum(ServiceLog.minutes).desc(), Volunteer.id)).all()
        busiest = ([own] if own in served else []) + [v for v in served if v != own]
        for volunteer_id in busiest[:ISSUED_PER_COMMUNITY]:
            applied = service.apply(coordinator, {**period, "volunteer_id": volunteer_id})
            service.issue(coordinator, applied.id, {"version": applied.version, "note": ""})
        if index == 0 and busiest:  # a correction: the first certificate revoked, a new number in its place
            first = service.register(coordinator, community.id)[0]
            service.correct(coordinator, first.id, {"version": first.version, "reason": "服务时段填写有误",
                                                    "period_start": start + timedelta(days=30), "note": "更正"})
        waiting = busiest[ISSUED_PER_COMMUNITY:ISSUED_PER_COMMUNITY + 2]
        for number, volunteer_id in enumerate(waiting):
            applied = service.apply(coordinator, {**period, "volunteer_id": volunteer_id, "purpose": "单位评优"})
            if number:
                service.accept(coordinator, applied.id, {"version": applied.version})
    db.session.flush()
