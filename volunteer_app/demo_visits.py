"""Demo visits (走访) on top of the demo district and its requests (``demo.seed`` calls this).

Two months of the 民情日志: most households visited last month and many this month so far,
priority-group residents at their interval with a few left overdue, night visits to buildings,
needs solved on the spot, needs that became the demo's requests (the visit on the day the request
was filed), follow-up visits after requests done, and a few needs posted as wishes. Past visits are written as records, like the past requests.
"""
import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from .accounts.models import Role, User
from .extensions import db
from .people.models import PriorityGroup, Resident
from .places.models import Building, Community
from .service_requests.models import ServiceRequest, Wish, WishState
from .visits.models import RESOLVED_REQUESTS, Visit, VisitFrequency, VisitKind, VisitNeed
from .visits.service import DEFAULT_EVERY_DAYS

SEED = 20261203
FINDINGS = ("家中整洁，身体状况良好", "老人精神不错，子女每周来看望", "反映楼道灯不亮，已记录", "血压偏高，提醒按时服药",
            "家中暖气不热，已联系物业", "居民对社区服务满意", "独居，平时由邻居照应", "行动不便，希望有人上门理发",
            "家中无人，已留联系卡", "了解家庭收入变化情况")
SPOT_FIXES = ("帮忙更换了灯泡", "帮忙调好了电视机顶盒", "代为预约了社区义诊", "讲解了防诈骗知识")
OPEN_NEEDS = ("希望增加楼下座椅", "小区门口路灯太暗", "想报名老年大学书法班")
WISHES = ("想要一台收音机", "希望有人陪着去公园走走", "想要几本大字版的书")
NIGHT_FINDINGS = ("夜间巡查，楼道消防通道畅通", "夜访，单元门禁损坏，已报物业", "夜间巡查，未发现异常")
REQUEST_VISITS = 0.4  # of the demo requests filed for a resident, the share a visit raised
FOLLOW_UPS = 0.3  # of the requests done, the share followed up by a visit (工单回访) two days after filing
OVERDUE_SHARE = 0.12  # priority-group residents whose latest visit is left late


def seed(today: date) -> None:
    """Add the visits to the freshly seeded district (flushes; the caller commits)."""
    rng = random.Random(SEED)
    for community in db.session.scalars(select(Community).order_by(Community.id)):
        visitor = db.session.scalar(select(User).where(User.username == f"coord-{community.code}")) \
            or db.session.scalar(select(User).where(User.role == Role.admin).limit(1))
        residents = db.session.scalars(select(Resident).where(Resident.community_id == community.id)
                                       .order_by(Resident.id)).all()
        _household_visits(rng, residents, visitor, today)
        _request_visits(rng, community, visitor, today)
        _night_visits(rng, community, visitor, today)
    first = db.session.scalar(select(Community).order_by(Community.id).limit(1))
    if first is not None:  # one community visits its disabled residents fortnightly
        db.session.add(VisitFrequency(community_id=first.id, group=PriorityGroup.disabled, every_days=14))
    db.session.flush()


def _moment(rng: random.Random, day: date, evening: bool = False) -> datetime:
    return datetime.combine(day, time(rng.randint(18, 20) if evening else rng.randint(9, 16), rng.choice((0, 15, 30, 45))))


def _visit(resident: Resident, visitor: User, at: datetime, kind: VisitKind, findings: str) -> Visit:
    return Visit(community_id=resident.community_id, grid_id=resident.grid_id, building_id=resident.building_id,
                 resident_id=resident.id, visitor_id=visitor.id, visited_at=at, kind=kind, findings=findings)


def _household_visits(rng: random.Random, residents: list[Resident], visitor: User, today: date) -> None:
    """Last month and this month so far: ordinary households once a month or so, priority groups at their interval."""
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    visits = []
    for resident in residents:
        groups = [member.group for member in resident.priority_groups]
        if groups:
            every = min(DEFAULT_EVERY_DAYS[group] for group in groups)
            day = today - timedelta(days=rng.randint(every + 3, every + 10) if rng.random() < OVERDUE_SHARE
                                    else rng.randint(1, every - 1))
            while day >= last_month:
                visits.append(_visit(resident, visitor, _moment(rng, day), VisitKind.key_group, rng.choice(FINDINGS)))
                day -= timedelta(days=every)
            continue
        for first, share in ((last_month, 0.9), (today.replace(day=1), 0.6)):
            span = (min(today, (first + timedelta(days=32)).replace(day=1)) - first).days
            if span > 0 and rng.random() < share:
                day = first + timedelta(days=rng.randrange(span))
                visits.append(_visit(resident, visitor, _moment(rng, day, evening=rng.random() < 0.15),
                                     VisitKind.routine, rng.choice(FINDINGS)))
    for visit in visits:
        roll = rng.random()
        if roll < 0.06:
            visit.needs = [VisitNeed(description=rng.choice(SPOT_FIXES), solved_on_spot=True)]
        elif roll < 0.08:
            visit.needs = [VisitNeed(description=rng.choice(OPEN_NEEDS))]
        elif roll < 0.09:
            title = rng.choice(WISHES)
            wish = Wish(community_id=visit.community_id, grid_id=visit.grid_id, resident_id=visit.resident_id,
                        posted_by_id=visitor.id, title=title, description="走访时提出", state=WishState.open)
            visit.needs = [VisitNeed(description=title, wish=wish)]
    db.session.add_all(visits)


def _request_visits(rng: random.Random, community: Community, visitor: User, today: date) -> None:
    """Some of the demo's requests were raised in a visit on the day they were filed; some done ones were
    followed up at home two days after."""
    requests = db.session.scalars(select(ServiceRequest).where(
        ServiceRequest.community_id == community.id, ServiceRequest.resident_id.is_not(None))
        .order_by(ServiceRequest.id)).all()
    for request in requests:
        if rng.random() >= REQUEST_VISITS:
            continue
        visit = _visit(request.resident, visitor, request.submitted_at - timedelta(minutes=rng.randint(20, 90)),
                       VisitKind.key_group if request.resident.priority_groups else VisitKind.routine,
                       "走访中居民提出需求，已转工单")
        visit.needs = [VisitNeed(description=request.description, request_id=request.id)]
        db.session.add(visit)
    for request in requests:
        follow_up = datetime.combine(request.submitted_at.date() + timedelta(days=2), time(10))
        if request.state in RESOLVED_REQUESTS and follow_up.date() < today and rng.random() < FOLLOW_UPS:
            db.session.add(_visit(request.resident, visitor, follow_up, VisitKind.after_request,
                                  f"工单回访：{request.service_type.name}，居民对处理结果满意"))


def _night_visits(rng: random.Random, community: Community, visitor: User, today: date) -> None:
    """夜访: a few buildings each week, as a whole."""
    buildings = db.session.scalars(select(Building).where(Building.community_id == community.id)
                                   .order_by(Building.id)).all()
    for days_ago in range(1, 43, 7):
        building = rng.choice(buildings)
        db.session.add(Visit(community_id=community.id, grid_id=building.grid_id, building_id=building.id,
                             visitor_id=visitor.id, visited_at=_moment(rng, today - timedelta(days=days_ago), True),
                             kind=VisitKind.night, findings=rng.choice(NIGHT_FINDINGS)))
