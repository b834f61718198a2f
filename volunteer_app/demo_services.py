"""Demo resident services and points, on top of the demo district (``demo.seed`` calls this).

Each community gets the service menu, two upcoming events with booked places,
five weeks of requests (工单) in every state with their history, ratings and
follow-ups, a property company and a 红心超市 with a catalogue, points earned for
recent service, and redemptions at every step. Past requests are written as
records with the history a real one leaves (the services only act "now");
everything that moves points goes through the points service, and upcoming
events and bookings through the service-requests rules, acting as the demo admin,
so the ledger, slot counters and waiting lists are exactly what real use makes.
"""
import random
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_login import login_user
from sqlalchemy import select

from .accounts.models import Role, User
from .accounts.policy import Actor
from .errors import DomainError
from .extensions import db
from .people.models import Resident, ServiceLog, Volunteer, VolunteerStatus
from .places.models import Community, Station, StationType
from .points import service as points
from .points.models import AccountKind, CatalogueItem, ItemKind, Partner, PartnerKind, PointAccount
from .service_requests import service as services
from .service_requests.models import (
    FollowUp, RequestEvent, RequestState, ServiceLocation, ServiceRequest, ServiceType,
)

SEED = 20261124
MINUTE = "%Y-%m-%dT%H:%M"
MENU = (  # code, name, minutes, where, skill, points price, what it is
    ("haircut", "理发", 20, ServiceLocation.station, "haircut", 0, "志愿者理发，老人优先"),
    ("clinic", "义诊", 10, ServiceLocation.station, "clinic", 0, "测血压、测血糖、健康咨询"),
    ("errands", "代办缴费", 30, ServiceLocation.home, "errands", 0, "水电燃气缴费、材料代办"),
    ("drain", "疏通下水", 60, ServiceLocation.home, "drain", 20, "厨房、卫生间下水疏通"),
    ("wiring", "线路维修", 60, ServiceLocation.home, "wiring", 20, "灯具、插座、线路小修"),
    ("knife", "磨刀", 15, ServiceLocation.station, "knife", 5, "磨刀磨剪子"),
    ("carpet", "清洗地毯", 90, ServiceLocation.home, "carpet", 30, "上门清洗地毯"),
    ("legal", "法律咨询", 30, ServiceLocation.station, "legal", 0, "律师志愿者解答法律问题"),
    ("companion", "亲情陪护", 120, ServiceLocation.home, "companion", 0, "陪伴独居老人、陪同就医"),
    ("tutoring", "四点半课堂", 90, ServiceLocation.station, "tutoring", 0, "放学后作业辅导"),
)
NEEDS = {  # what residents ask for, by service
    "errands": ("帮忙交燃气费", "代缴本季度水费", "帮忙办理老年证"),
    "drain": ("厨房下水道堵了", "卫生间地漏返水", "洗菜池下水慢"),
    "wiring": ("客厅灯不亮", "插座没电", "楼道灯坏了"),
    "carpet": ("客厅地毯需要清洗",),
    "companion": ("下周二需要陪同去医院复查", "老人独居，希望有人陪着聊聊天"),
    "haircut": ("行动不便，希望上门理发",),
    "legal": ("房屋租赁合同纠纷咨询",),
}
RESOLUTIONS = ("已处理完毕，居民确认", "已上门处理", "问题已解决，留下联系方式", "已代办完成，票据已交居民")
COMMENTS = ("很及时，谢谢", "志愿者很耐心", "满意", "来得有点晚", "还行", "问题没完全解决")
DEPARTMENTS = ("街道城管科", "供热公司", "物业公司")
STATES = ((RequestState.rated, 60), (RequestState.resolved, 8), (RequestState.in_progress, 4),
          (RequestState.dispatched, 5), (RequestState.accepted, 4), (RequestState.submitted, 5),
          (RequestState.rejected, 3), (RequestState.cancelled, 4), (RequestState.escalated, 3))
REQUESTS_PER_COMMUNITY = 45
HISTORY_DAYS = 35
EARNING_DAYS = 14  # service logs this recent earn points in the demo
CATALOGUE = (  # partner kind, partner name suffix, item name, kind, price, stock, face value (fen)
    (PartnerKind.property_company, "物业服务中心", "上门疏通下水一次", ItemKind.service, 30, None, None),
    (PartnerKind.property_company, "物业服务中心", "物业费抵扣 50 元", ItemKind.fee_discount, 100, None, 5000),
    (PartnerKind.shop, "红心物业超市", "大米 5 公斤", ItemKind.goods, 40, 30, None),
    (PartnerKind.shop, "红心物业超市", "洗衣液 2 升", ItemKind.goods, 20, 50, None),
)


def seed(today: date) -> None:
    """Add services and points to the freshly seeded district (flushes; the caller commits)."""
    rng = random.Random(SEED)
    admin = db.session.scalar(select(User).where(User.role == Role.admin).order_by(User.id).limit(1))
    with current_app.test_request_context("/demo"):  # the services ask who acts: the demo admin
        login_user(admin)
        _ranking_consent(rng)
        for community in db.session.scalars(select(Community).order_by(Community.id)):
            centre = db.session.scalar(select(Station).where(Station.community_id == community.id,
                                                             Station.station_type == StationType.party_center))
            menu = _menu(community, centre)
            _past_requests(rng, community, menu, today)
            _upcoming_events(rng, community, menu, admin)
            _catalogue_and_orders(rng, community, admin)


def _ranking_consent(rng: random.Random) -> None:
    """About a third of the volunteers agreed to be named on the 光荣榜."""
    for volunteer in db.session.scalars(select(Volunteer).order_by(Volunteer.id)):
        volunteer.show_in_rankings = rng.random() < 0.35


def _menu(community: Community, centre: Station) -> dict[str, ServiceType]:
    types = [ServiceType(community_id=community.id, code=code, name=name, description=what, duration_min=minutes,
                         skills=[skill], location=where, station_id=centre.id, points_price=price,
                         free_for_priority_groups=True, priority_groups_first=True, time_limits={})
             for code, name, minutes, where, skill, price, what in MENU]
    db.session.add_all(types)
    db.session.flush()
    return {t.code: t for t in types}


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))


def _past_requests(rng: random.Random, community: Community, menu: dict[str, ServiceType], today: date) -> None:
    """Five weeks of requests: most closed and rated, some late, some still open (a few overdue)."""
    residents = db.session.scalars(select(Resident).where(Resident.community_id == community.id)
                                   .order_by(Resident.id)).all()
    volunteers = db.session.scalars(select(Volunteer).where(Volunteer.community_id == community.id,
                                                            Volunteer.status == VolunteerStatus.active)
                                    .order_by(Volunteer.id)).all()
    filer = db.session.scalar(select(User).where(User.username == f"coord-{community.code}")) \
        or db.session.scalar(select(User).where(User.role == Role.admin).limit(1))  # grid workers file by phone
    states, weights = zip(*STATES)
    for _ in range(REQUESTS_PER_COMMUNITY):
        code = rng.choice(list(NEEDS))
        service_type, resident = menu[code], rng.choice(residents)
        state = rng.choices(states, weights)[0]
        open_state = state in (RequestState.submitted, RequestState.accepted, RequestState.dispatched,
                               RequestState.in_progress, RequestState.resolved, RequestState.escalated)
        if open_state:  # still in hand: filed since yesterday afternoon
            submitted = _at(today, 8) - timedelta(minutes=rng.randint(0, 900))
        else:
            submitted = _at(today - timedelta(days=rng.randint(1, HISTORY_DAYS)), rng.randint(8, 16),
                            rng.choice((5, 20, 35, 50)))
        able = [v for v in volunteers if code in {s.code for s in v.skills}] or volunteers
        request = ServiceRequest(
            community_id=community.id, grid_id=resident.grid_id, building_id=resident.building_id,
            resident_id=resident.id, filed_by_id=filer.id, service_type_id=service_type.id,
            service_type=service_type, description=rng.choice(NEEDS[code]), urgent=rng.random() < 0.1,
            priority=3, price_points=services.price_for(service_type, resident), submitted_at=submitted,
            deadlines={}, idempotency_key=None, payload_digest="")
        request.history = []
        _walk(rng, request, state, submitted, rng.choice(able), filer)
        db.session.add(request)
    db.session.flush()
    done = db.session.scalars(select(ServiceRequest).where(
        ServiceRequest.community_id == community.id,
        ServiceRequest.state.in_((RequestState.resolved, RequestState.rated)))).all()
    db.session.add_all(services.service_log_for(r, r.scheduled_start) for r in done)
    for request in (r for r in done if r.state == RequestState.rated):
        services.earn_for_request(request, request.scheduled_start)
        if request.rating <= services.LOW_RATING:
            db.session.add(FollowUp(request_id=request.id, community_id=community.id, grid_id=request.grid_id,
                                    reason_code="low_rating", reason_text=services.low_rating_reason(request)))
    _earn_for_service_logs(community, today)


def _walk(rng: random.Random, request: ServiceRequest, final: RequestState, at: datetime, volunteer: Volunteer,
          filer: User) -> None:
    """Take the request step by step to ``final``, recording each move and its deadline, late or not."""
    S = RequestState
    deadlines: dict[str, datetime] = {"accept": at + timedelta(minutes=10)}

    def step(source, target, moment, due_step=None, reason="", details=None):
        due = deadlines.get(due_step) if due_step else None
        request.history.append(RequestEvent(at=moment, actor_id=filer.id, from_state=source, to_state=target,
                                            reason=reason, late=bool(due and moment > due), details=details or {}))
        request.state = target
        return moment

    step(None, S.submitted, at)
    late = rng.random() < 0.15  # some requests run late at one step or another
    if final in (S.cancelled, S.rejected) and rng.random() < 0.5:
        reason = "已自行解决" if final == S.cancelled else "不属于社区服务范围，已告知居民"
        step(S.submitted, final, at + timedelta(minutes=rng.randint(3, 30)), reason=reason)
        return _close(request, deadlines, final, reason)
    if final == S.submitted:
        return _close(request, deadlines, final)
    accepted = step(S.submitted, S.accepted, at + timedelta(minutes=rng.randint(14, 40) if late else rng.randint(2, 9)),
                    "accept")
    deadlines["dispatch"] = accepted + timedelta(minutes=20)
    start = _at((accepted + timedelta(days=rng.choice((0, 0, 1)))).date(), rng.choice((14, 15, 16, 18)))
    dispatch_at = accepted + timedelta(minutes=rng.randint(25, 60) if late else 8)
    start = max(start, dispatch_at + timedelta(minutes=30))
    deadlines["resolve"] = _at(start.date(), 20, 30)
    if final in (S.accepted, S.cancelled, S.rejected):
        if final != S.accepted:
            reason = "居民临时外出" if final == S.cancelled else "需由物业公司处理"
            step(S.accepted, final, accepted + timedelta(minutes=15), reason=reason)
            return _close(request, deadlines, final, reason)
        return _close(request, deadlines, final)
    if final == S.escalated:
        request.department = rng.choice(DEPARTMENTS)
        request.department_due_at = accepted + timedelta(days=3)
        step(S.accepted, S.escalated, accepted + timedelta(minutes=10), reason=f"转交{request.department}",
             details={"department": request.department})
        return _close(request, deadlines, final)
    minutes = request.service_type.duration_min
    request.volunteer_id = volunteer.id
    request.scheduled_start, request.scheduled_end = start, start + timedelta(minutes=minutes)
    step(S.accepted, S.dispatched, dispatch_at, "dispatch", details={"volunteer_id": volunteer.id})
    deadlines["start"] = start + timedelta(minutes=30)
    if final == S.dispatched:
        return _close(request, deadlines, final)
    begun = step(S.dispatched, S.in_progress, start + timedelta(minutes=rng.randint(0, 10)), "start")
    if final == S.in_progress:
        return _close(request, deadlines, final)
    request.resolution_note = rng.choice(RESOLUTIONS)
    done_at = begun + timedelta(minutes=minutes) + (timedelta(hours=rng.randint(4, 30)) if late else timedelta())
    resolved = step(S.in_progress, S.resolved, done_at, "resolve", reason=request.resolution_note)
    deadlines["rate"] = resolved + timedelta(days=3)
    if final == S.resolved:
        return _close(request, deadlines, final)
    request.rating = rng.choices((5, 4, 3, 2, 1), (55, 28, 9, 5, 3))[0]
    request.rating_comment = COMMENTS[min(5 - request.rating, len(COMMENTS) - 1)] if request.rating < 5 \
        else rng.choice(COMMENTS[:3])
    request.rated_by_id = filer.id
    step(S.resolved, S.rated, resolved + timedelta(hours=rng.randint(1, 40)), "rate", reason=request.rating_comment,
         details={"rating": request.rating, "by": "phone follow-up"})
    return _close(request, deadlines, final)


def _close(request: ServiceRequest, deadlines: dict, state: RequestState, reason: str = "") -> None:
    """Store the deadlines and the current step's due time, as ``services._set_deadlines`` would have."""
    request.deadlines = {step: moment.strftime(MINUTE) for step, moment in deadlines.items()}
    if state == RequestState.rejected:
        request.rejection_reason = reason
    step = "department" if state == RequestState.escalated else services.STEP_OF_STATE.get(state)
    request.due_step = step
    request.due_at = request.department_due_at if step == "department" else deadlines.get(step)
    if step is None:
        request.due_at = None


def _earn_for_service_logs(community: Community, today: date) -> None:
    """Recent service hours earn points, through the same earning rule a served duty uses."""
    logs = db.session.scalars(select(ServiceLog).join(Volunteer).where(
        Volunteer.community_id == community.id, ServiceLog.served_on >= today - timedelta(days=EARNING_DAYS))
        .order_by(ServiceLog.id)).all()
    for log in logs:
        points.earn_for_source("service_log", log.id, log.volunteer_id, community.id, log.minutes, None,
                               _at(log.served_on, 18, 30), set())


def _upcoming_events(rng: random.Random, community: Community, menu: dict[str, ServiceType], admin: User) -> None:
    """A 义诊 and a 理发 morning at the party centre in the coming days, most places booked (代办 by staff)."""
    residents = db.session.scalars(select(Resident).where(Resident.community_id == community.id)
                                   .order_by(Resident.id)).all()
    first_day, actor = services.now().date() + timedelta(days=1), Actor.of(admin)
    for code, capacity, offset in (("clinic", 2, 0), ("haircut", 1, 1)):
        event = None
        for day in (first_day + timedelta(days=offset + i) for i in range(14)):
            data = {"service_type_id": menu[code].id, "starts_at": _at(day, 9), "ends_at": _at(day, 11),
                    "capacity_per_slot": capacity, "title": f"{community.name}{menu[code].name}"}
            try:
                event = services.create_event(actor, data)
                break
            except DomainError:  # closed that day (holiday, hours): try the next
                continue
        if event is None:
            continue
        people = rng.sample(residents, min(len(residents), len(event.slots) * capacity))
        for slot, resident in zip((s for s in event.slots for _ in range(capacity)), people):
            if rng.random() < 0.75:
                services.book(actor, slot.id, resident.id, False)


def _catalogue_and_orders(rng: random.Random, community: Community, admin: User) -> None:
    """A property company and a 红心超市 with their offers; volunteers redeem at every step of an order."""
    partners: dict[str, Partner] = {}
    items = []
    for kind, suffix, name, item_kind, price, stock, face in CATALOGUE:
        if suffix not in partners:
            partners[suffix] = Partner(community_id=community.id, name=f"{community.name}{suffix}", kind=kind)
            db.session.add(partners[suffix])
            db.session.flush()
        items.append(CatalogueItem(partner_id=partners[suffix].id, community_id=community.id, name=name,
                                   kind=item_kind, price=price, stock=stock, face_value_fen=face))
    db.session.add_all(items)
    db.session.flush()
    actor = Actor.of(admin)
    rich = db.session.scalars(select(PointAccount).where(
        PointAccount.community_id == community.id, PointAccount.kind == AccountKind.volunteer,
        PointAccount.balance >= 40).order_by(PointAccount.id)).all()
    for number, account in enumerate(rng.sample(rich, min(12, len(rich)))):
        affordable = [item for item in items if item.price <= account.balance]
        order, _ = points.redeem(actor, account, rng.choice(affordable).id, 1, f"demo-{number}", "")
        fate = rng.random()
        if fate < 0.6:
            points.change_status(actor, order, "approve")
            points.change_status(actor, order, "fulfil")
        elif fate < 0.75:
            points.change_status(actor, order, "approve")
        elif fate < 0.85:
            points.change_status(actor, order, "reject", "本月名额已满")
