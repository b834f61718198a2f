"""The demo district: one 街道 of three communities, with volunteers, residents and history.

Deterministic (fixed Faker and random seeds) and idempotent: the subdistrict
code marks a loaded district, so a second ``seed`` changes nothing. Records
are built directly as models and added in bulk, one flush per batch, because
the services check scope and uniqueness row by row and need a logged-in user;
``tests/test_demo.py`` proves every record still passes the API's schemas.
The codes here are the ones the shipped sample import files refer to.
"""
import random
import secrets
from dataclasses import dataclass
from datetime import date, time, timedelta

from faker import Faker
from sqlalchemy import select

from .accounts.models import Role, User
from . import demo_attendance, demo_certificates, demo_services, demo_visits
from .portal.service import create_user
from .extensions import db
from .people.models import (
    AvailabilitySlot, ClaimedPost, DaySelector, HolidayMode, PartyMemberReport, PriorityGroup, Resident,
    ResidentPriorityGroup, ServiceLog, Skill, Volunteer, VolunteerStatus,
)
from .places.models import Building, Community, Grid, Station, StationType, Subdistrict
from .roster.models import HolidayRule, ShiftTemplate
from .validation import MAINLAND_MOBILE

SEED = 20261123
CENTRE = (43.880, 125.320)  # Changchun
SUBDISTRICT = ("ziqiang", "南关区自强街道")
COMMUNITIES = (  # code, name, offset of its centre from the district centre (degrees)
    ("yongan", "永安社区", (0.006, -0.008)),
    ("xinghua", "兴华社区", (-0.005, 0.006)),
    ("tongxin", "同心社区", (0.011, 0.010)),
)
GRIDS_PER_COMMUNITY = 4
GRID_NAMES = ("第一网格", "第二网格", "第三网格", "第四网格")
ROADS = ("自强街", "永吉路", "亚泰大街", "南湖大路", "解放大路", "平治街", "民康路", "西五马路")

SKILLS = (  # code, 中文, English
    ("haircut", "理发", "Haircut"),
    ("clinic", "义诊", "Free clinic"),
    ("blood_pressure", "测血压", "Blood pressure check"),
    ("errands", "代办", "Errands and paperwork"),
    ("utility_bills", "生活缴费", "Utility bill payment"),
    ("policy", "政策咨询", "Policy advice"),
    ("repair", "维修", "Small repairs"),
    ("drain", "疏通下水", "Drain unblocking"),
    ("wiring", "线路维修", "Wiring repair"),
    ("knife", "磨刀", "Knife sharpening"),
    ("carpet", "清洗地毯", "Carpet cleaning"),
    ("legal", "法律咨询", "Legal advice"),
    ("mediation", "纠纷调解", "Dispute mediation"),
    ("companion", "亲情陪护", "Companionship"),
    ("tutoring", "四点半课堂", "After-school tutoring"),
    ("first_aid", "急救", "First aid"),
)


def _week(days, *bands) -> list[dict]:
    return [{"weekday": d, "start": s, "end": e} for d in days for s, e in bands]


# Opening hours by station type; evenings and weekends are the 延时错时服务.
OPENING_HOURS = {
    StationType.party_center: _week(range(5), ("08:30", "17:30"), ("18:00", "20:30"))
    + _week((5, 6), ("09:00", "16:00")),
    StationType.grid_station: _week(range(5), ("09:00", "11:30"), ("14:00", "17:00"), ("18:30", "20:30"))
    + _week((5,), ("09:00", "12:00")),
    StationType.red_post: _week(range(7), ("07:30", "19:30")),
    StationType.volunteer_market: _week((1, 3), ("18:00", "20:30")) + _week((5, 6), ("09:00", "17:00")),
}
STATIONS = (  # community, code suffix, type, name suffix, grid number (None: the whole community)
    ("yongan", "center", StationType.party_center, "党群服务中心", None),
    ("yongan", "g1", StationType.grid_station, "第一网格党群服务站", 1),
    ("yongan", "post", StationType.red_post, "红色驿站", 3),
    ("xinghua", "center", StationType.party_center, "党群服务中心", None),
    ("xinghua", "g2", StationType.grid_station, "第二网格党群服务站", 2),
    ("xinghua", "market", StationType.volunteer_market, "志愿服务超市", None),
    ("tongxin", "center", StationType.party_center, "党群服务中心", None),
    ("tongxin", "post", StationType.red_post, "红色驿站", 4),
)

WORK_UNITS = (
    "长春市南关区人民法院", "国网长春供电公司", "长春市第二实验中学", "南关区市场监督管理局", "中国一汽解放公司",
    "长春市中心医院", "中国建设银行长春南关支行", "吉林大学第二医院", "国家税务总局长春市南关区税务局",
    "长春市自来水公司", "南关区教育局", "长春市公安局南关分局",
)
RESIDENT_NOTES = ("行动不便，需上门服务", "子女在外地工作", "需定期测血压", "独自居住，每周电话问候", "")


@dataclass(frozen=True)
class Profile:
    """A kind of volunteer: who they are decides when they can serve and what they do."""

    kind: str
    count: int
    ages: tuple[int, int]
    patterns: tuple[tuple[tuple[DaySelector, str, str], ...], ...]  # one is picked per volunteer
    skills: tuple[str, ...]
    hours: tuple[int, int]
    distance_m: int


PROFILES = (
    # 在职党员: 8小时之外 — weekday evenings and weekends.
    Profile("party", 60, (28, 55), (
        ((DaySelector.workdays, "18:30", "21:00"), (DaySelector.sat, "09:00", "12:00")),
        ((DaySelector.rest_days, "09:00", "17:00"),),
        ((DaySelector.tue, "19:00", "21:00"), (DaySelector.thu, "19:00", "21:00"), (DaySelector.sun, "14:00", "17:00")),
    ), ("legal", "mediation", "repair", "wiring", "errands", "policy", "first_aid", "clinic"), (4, 8), 3000),
    # Retirees: daytime on weekdays.
    Profile("retiree", 120, (58, 76), (
        ((DaySelector.workdays, "08:30", "11:30"),),
        ((DaySelector.workdays, "08:30", "11:30"), (DaySelector.workdays, "14:00", "17:00")),
        ((DaySelector.mon, "08:30", "11:30"), (DaySelector.wed, "08:30", "11:30"), (DaySelector.fri, "14:00", "17:00")),
    ), ("haircut", "knife", "blood_pressure", "companion", "carpet", "drain", "errands", "utility_bills"),
        (6, 16), 1500),
    # Students: weekends.
    Profile("student", 40, (17, 22), (
        ((DaySelector.sat, "09:00", "12:00"), (DaySelector.sun, "14:00", "17:00")),
        ((DaySelector.rest_days, "09:00", "12:00"),),
    ), ("tutoring", "companion", "first_aid", "errands"), (2, 6), 3000),
    # Other working-age residents: evenings or a weekend afternoon.
    Profile("neighbour", 80, (30, 57), (
        ((DaySelector.workdays, "19:00", "21:00"),),
        ((DaySelector.sat, "14:00", "18:00"),),
        ((DaySelector.wed, "18:00", "20:30"), (DaySelector.sun, "09:00", "11:30")),
    ), tuple(code for code, _, _ in SKILLS), (3, 8), 2000),
)
RESIDENTS_PER_COMMUNITY = 200
# (groups, weight): about a third of residents belong to a 重点人群, some to two.
PRIORITY_MIX = (
    ((), 64),
    ((PriorityGroup.elderly_alone,), 9),
    ((PriorityGroup.low_income,), 6),
    ((PriorityGroup.disabled,), 5),
    ((PriorityGroup.hardship,), 4),
    ((PriorityGroup.childless_elderly,), 2),
    ((PriorityGroup.elderly_alone, PriorityGroup.childless_elderly), 4),
    ((PriorityGroup.low_income, PriorityGroup.disabled), 3),
    ((PriorityGroup.low_income, PriorityGroup.hardship), 3),
)


class _Builder:
    """Holds the seeded generators and what has been built so far."""

    def __init__(self):
        self.rng = random.Random(SEED)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(SEED)
        self.phones: set[str] = set()

    def near(self, lat: float, lon: float, spread: float) -> tuple[float, float]:
        return (round(lat + self.rng.uniform(-spread, spread), 6), round(lon + self.rng.uniform(-spread, spread), 6))

    def phone(self) -> str:
        """A plausible mainland mobile, unique in the whole district (so unique per community)."""
        while True:
            number = self.fake.phone_number()
            if MAINLAND_MOBILE.match(number) and number not in self.phones:
                self.phones.add(number)
                return number

    def id_number(self, ages: tuple[int, int]) -> str | None:
        return self.fake.ssn(min_age=ages[0], max_age=ages[1]) if self.rng.random() < 0.8 else None

    def past_day(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randrange((last - first).days + 1))


def _places(b: _Builder) -> tuple[dict[str, Community], dict[str, list[Grid]], dict[int, list[Building]],
                                  list[Station]]:
    subdistrict = Subdistrict(code=SUBDISTRICT[0], name=SUBDISTRICT[1])
    communities, grids, buildings = {}, {}, {}
    for code, name, (dlat, dlon) in COMMUNITIES:
        lat, lon = CENTRE[0] + dlat, CENTRE[1] + dlon
        communities[code] = Community(code=code, name=name, subdistrict=subdistrict, lat=lat, lon=lon)
    db.session.add_all(communities.values())
    db.session.flush()

    serial = 0
    for code, community in communities.items():
        grids[code] = []
        for number in range(1, GRIDS_PER_COMMUNITY + 1):
            glat, glon = b.near(community.lat, community.lon, 0.004)
            grids[code].append(Grid(code=f"{code}-g{number}", name=GRID_NAMES[number - 1], community_id=community.id,
                                    lat=glat, lon=glon))
    db.session.add_all(g for group in grids.values() for g in group)
    db.session.flush()

    all_buildings = []
    for code, community_grids in grids.items():
        number = 0
        for grid in community_grids:
            buildings[grid.id] = []
            # 40 buildings over 12 grids: every third grid has four, the others three.
            for _ in range(4 if serial % 3 == 0 else 3):
                number += 1
                blat, blon = b.near(grid.lat, grid.lon, 0.0012)
                building = Building(code=f"{code}-b{number:02d}", name=f"{number}号楼", grid_id=grid.id,
                                    community_id=grid.community_id, lat=blat, lon=blon)
                buildings[grid.id].append(building)
                all_buildings.append(building)
            serial += 1
    db.session.add_all(all_buildings)

    stations = []
    for code, suffix, station_type, name, grid_number in STATIONS:
        community = communities[code]
        grid = grids[code][grid_number - 1] if grid_number else None
        slat, slon = b.near((grid or community).lat, (grid or community).lon, 0.0008)
        stations.append(Station(
            code=f"{code}-{suffix}", name=community.name + name, station_type=station_type,
            community_id=community.id, grid_id=grid.id if grid else None,
            address=f"长春市南关区{b.rng.choice(ROADS)}{b.rng.randint(1, 999)}号", lat=slat, lon=slon,
            opening_hours=[dict(hours) for hours in OPENING_HOURS[station_type]],
            closed_on_holidays=station_type not in (StationType.red_post, StationType.volunteer_market),
        ))
    db.session.add_all(stations)
    db.session.flush()
    return communities, grids, buildings, stations


def _skills() -> dict[str, Skill]:
    """The catalogue, adding only the entries an admin has not created already."""
    existing = {s.code: s for s in db.session.scalars(select(Skill))}
    missing = [Skill(code=code, name_zh=zh, name_en=en) for code, zh, en in SKILLS if code not in existing]
    db.session.add_all(missing)
    db.session.flush()
    return existing | {s.code: s for s in missing}


def _home(b: _Builder, community_grids: list[Grid], buildings: dict[int, list[Building]]) -> tuple[Grid, Building]:
    grid = b.rng.choice(community_grids)
    return grid, b.rng.choice(buildings[grid.id])


def _volunteers(b, communities, grids, buildings, skills) -> list[tuple[Profile, Volunteer]]:
    codes = list(communities)
    built = []
    for profile in PROFILES:
        for _ in range(profile.count):
            community = communities[codes[len(built) % len(codes)]]  # 100 per community
            grid, building = _home(b, grids[community.code], buildings)
            lat, lon = b.near(building.lat, building.lon, 0.0003)
            roll = b.rng.random()
            status = (VolunteerStatus.active if roll < 0.94 else
                      VolunteerStatus.paused if roll < 0.98 else VolunteerStatus.left)
            off_on_holidays = profile.kind == "retiree" and b.rng.random() < 0.3
            volunteer = Volunteer(
                name=b.fake.name(), phone=b.phone(), id_number=b.id_number(profile.ages),
                community_id=community.id, grid_id=grid.id,
                building_id=building.id if b.rng.random() < 0.9 else None, lat=lat, lon=lon,
                max_hours_per_week=b.rng.randint(*profile.hours), max_distance_m=profile.distance_m,
                status=status, holiday_mode=HolidayMode.off if off_on_holidays else HolidayMode.rest_day,
                is_party_member=profile.kind == "party" or (profile.kind == "retiree" and b.rng.random() < 0.15),
                joined_on=b.past_day(date(2019, 3, 5), date(2025, 12, 5)),
            )
            volunteer.skills = [skills[c] for c in sorted(b.rng.sample(profile.skills, b.rng.randint(1, 3)))]
            volunteer.availability = [AvailabilitySlot(days=d, start=time.fromisoformat(s), end=time.fromisoformat(e))
                                      for d, s, e in b.rng.choice(profile.patterns)]
            built.append((profile, volunteer))
    db.session.add_all(v for _, v in built)
    db.session.flush()
    return built


def _claimable(station: Station) -> list[dict]:
    """Opening hours outside office time: where in-office party members claim posts."""
    return [h for h in station.opening_hours if h["weekday"] >= 5 or h["start"] >= "17:00"]


def _party_reports(b, built, stations) -> None:
    reports = []
    for profile, volunteer in built:
        if profile.kind != "party":
            continue
        unit = b.rng.choice(WORK_UNITS)
        report = PartyMemberReport(
            volunteer=volunteer, work_unit=unit, party_organization=unit + b.rng.choice(("党委", "机关党支部", "党总支")),
            community_id=volunteer.community_id, reported_on=b.past_day(date(2022, 3, 1), date(2025, 10, 31)),
            yearly_target_hours=b.rng.choice((20, 24, 30, 40)),
        )
        options = [(s, h) for s in stations if s.community_id == volunteer.community_id for h in _claimable(s)]
        for station, hours in b.rng.sample(options, b.rng.randint(1, 2)):
            start = time.fromisoformat(hours["start"])
            end = min(time.fromisoformat(hours["end"]), time(start.hour + 3, start.minute))
            report.claimed_posts.append(ClaimedPost(station_id=station.id, weekday=hours["weekday"],
                                                    start=start, end=end))
        reports.append(report)
    db.session.add_all(reports)


def _service_logs(b, built, today: date) -> None:
    """A few months of served hours, so targets, fairness and reports have history."""
    logs = []
    for profile, volunteer in built:
        if volunteer.status != VolunteerStatus.active or b.rng.random() < 0.3:
            continue
        for _ in range(b.rng.randint(1, 8 if profile.kind == "party" else 5)):
            skill = b.rng.choice(volunteer.skills)
            logs.append(ServiceLog(volunteer=volunteer, served_on=today - timedelta(days=b.rng.randint(1, 150)),
                                   minutes=b.rng.choice((60, 90, 120, 150, 180)),
                                   description=f"{skill.name_zh}服务"))
    db.session.add_all(logs)


def _residents(b, communities, grids, buildings) -> list[Resident]:
    groups, weights = zip(*PRIORITY_MIX)
    residents = []
    for community in communities.values():
        for _ in range(RESIDENTS_PER_COMMUNITY):
            grid, building = _home(b, grids[community.code], buildings)
            chosen = b.rng.choices(groups, weights)[0]
            elderly = bool({PriorityGroup.elderly_alone, PriorityGroup.childless_elderly} & set(chosen))
            resident = Resident(
                name=b.fake.name(), phone=b.phone(), id_number=b.id_number((70, 92) if elderly else (18, 85)),
                community_id=community.id, grid_id=grid.id, building_id=building.id,
                household=f"{b.rng.randint(1, 4)}单元{b.rng.randint(1, 7)}{b.rng.randint(1, 4):02d}",
                notes=b.rng.choice(RESIDENT_NOTES) if chosen else "",
            )
            resident.priority_groups = [ResidentPriorityGroup(group=g) for g in chosen]
            residents.append(resident)
    db.session.add_all(residents)
    db.session.flush()
    return residents


def _logins(b: _Builder, password: str | None, communities, built, residents) -> dict[str, str]:
    """The demo accounts; a username that already exists is left alone. Coordinators have a mobile, so the
    messages for staff (declines, swaps, overdue requests) reach them by SMS once it is configured."""
    volunteer = next(v for p, v in built if p.kind == "party" and v.status == VolunteerStatus.active)
    resident = next(r for r in residents if r.priority_groups)
    accounts = [("admin", Role.admin, "系统管理员", {"can_view_pii": True})]
    accounts += [(f"coord-{code}", Role.coordinator, f"{c.name}网格员", {"communities": [code], "phone": b.phone()})
                 for code, c in communities.items()]
    accounts += [("volunteer1", Role.volunteer, volunteer.name, {"volunteer_id": volunteer.id}),
                 ("resident1", Role.resident, resident.name, {"resident_id": resident.id})]
    taken = set(db.session.scalars(select(User.username).where(User.username.in_([a[0] for a in accounts]))))
    created = {}
    for username, role, display_name, extra in accounts:
        if username in taken:
            continue
        created[username] = password or secrets.token_urlsafe(12)
        create_user(username, created[username], role, display_name, **extra)
    return created


WEEKDAYS, WEEKEND = range(5), (5, 6)
DUTY = {  # 轮流值守 / 延时错时服务 by station type: (days, start, end, volunteers needed)
    StationType.party_center: ((WEEKDAYS, "18:30", "20:30", 2), (WEEKEND, "09:00", "12:00", 2),
                               (WEEKEND, "14:00", "16:00", 2)),
    StationType.grid_station: ((WEEKDAYS, "18:30", "20:30", 1), ((5,), "09:00", "12:00", 2)),
    StationType.red_post: ((WEEKDAYS, "09:00", "11:30", 1), (WEEKDAYS, "14:00", "17:00", 1),
                           (WEEKEND, "09:00", "12:00", 1), (WEEKEND, "14:00", "17:00", 1)),
    StationType.volunteer_market: (((1, 3), "19:00", "20:30", 2), (WEEKEND, "09:00", "12:00", 2),
                                   (WEEKEND, "14:00", "17:00", 2)),
}


def _duty_templates(stations: list[Station]) -> None:
    """Volunteers staff the stations outside office hours (8小时之外) and at weekends,
    inside each station's opening hours; each party centre also holds a Saturday
    义诊 that needs a clinician."""
    templates = []
    for station in stations:
        open_on_holidays = not station.closed_on_holidays
        for days, start, end, needed in DUTY[station.station_type]:
            for weekday in days:
                templates.append(ShiftTemplate(
                    station_id=station.id, community_id=station.community_id, title=station.name,
                    weekday=weekday, start=time.fromisoformat(start), end=time.fromisoformat(end), needed=needed,
                    skills=[], priority=4 if weekday >= 5 else 3,
                    holiday_rule=HolidayRule.rota if open_on_holidays else HolidayRule.closed,
                    holiday_needed=1 if open_on_holidays else None))
        if station.station_type == StationType.party_center:
            templates.append(ShiftTemplate(
                station_id=station.id, community_id=station.community_id, title="周六义诊", weekday=5,
                start=time(9), end=time(11), needed=1, skills=["clinic"], priority=8,
                holiday_rule=HolidayRule.closed))
    db.session.add_all(templates)
    db.session.flush()


def seed(password: str | None = None, today: date | None = None) -> dict[str, str]:
    """Load the demo district once; return the new logins and their passwords ({} if already loaded).

    Only flushes: the caller commits (``flask seed-demo``).
    """
    if db.session.scalar(select(Subdistrict.id).where(Subdistrict.code == SUBDISTRICT[0])) is not None:
        return {}
    b = _Builder()
    communities, grids, buildings, stations = _places(b)
    _duty_templates(stations)
    skills = _skills()
    built = _volunteers(b, communities, grids, buildings, skills)
    _party_reports(b, built, stations)
    _service_logs(b, built, today or date.today())
    residents = _residents(b, communities, grids, buildings)
    logins = _logins(b, password, communities, built, residents)
    demo_services.seed(today or date.today())
    demo_visits.seed(today or date.today())
    demo_attendance.seed(today or date.today())
    demo_certificates.seed(today or date.today())
    return logins
