"""The published week as a printable workbook, its attendance (考勤台账), and a volunteer's iCalendar feed."""
import hashlib
import io
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from icalendar import Calendar, Event
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from ..accounts import policy
from ..accounts.policy import Actor
from ..errors import NotFound
from ..extensions import db
from ..models_base import utcnow
from ..people import contact
from ..people.models import Volunteer
from ..pii import mask_phone
from ..spreadsheets import safe_row
from ..places.models import Community, Station
from .models import Assignment, AssignmentStatus, CalendarFeed, Demand, RosterWeek
from .service import ACTIVE, my_volunteer, served_minutes

WEEKDAYS_ZH = "一二三四五六日"
STATUS_ZH = {AssignmentStatus.assigned: "待确认", AssignmentStatus.confirmed: "已确认"}
HEADERS = ["日期", "星期", "时间", "岗位", "需要人数", "志愿者", "电话", "状态"]


def _live_by_demand(week: RosterWeek) -> dict[int, list[Assignment]]:
    rows = db.session.scalars(select(Assignment).where(Assignment.week_id == week.id,
                                                       Assignment.status.in_(ACTIVE))).all()
    grouped: dict[int, list[Assignment]] = {}
    for row in rows:
        grouped.setdefault(row.demand_id, []).append(row)
    return grouped


def _sheet(workbook: Workbook, title: str, heading: str, demands: list[Demand], live: dict, show_phone: bool) -> None:
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(safe_row([heading], sheet))
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet["A1"].font = Font(size=14, bold=True)
    sheet.append(HEADERS)
    thin = Side(style="thin", color="999999")
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F2DCDB")
    for demand in demands:
        people = live.get(demand.id) or [None]
        for assignment in people:
            volunteer = assignment.volunteer if assignment else None
            sheet.append(safe_row([
                demand.start.strftime("%Y-%m-%d"), "周" + WEEKDAYS_ZH[demand.start.weekday()],
                f"{demand.start:%H:%M}-{demand.end:%H:%M}", demand.title, demand.needed,
                volunteer.name if volunteer else "（空缺）",
                (volunteer.phone if show_phone else mask_phone(volunteer.phone)) if volunteer else "",
                STATUS_ZH.get(assignment.status, "") if assignment else "",
            ], sheet))
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
            cell.alignment = Alignment(vertical="center")
    for index, width in enumerate([12, 6, 13, 18, 9, 12, 14, 8], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.print_title_rows = "2:2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.freeze_panes = "A3"


def week_workbook(actor: Actor, week: RosterWeek) -> bytes:
    """One sheet per station plus a task sheet, Chinese headers, printable (landscape, fit to width);
    phones in full only for those allowed to see them, and then written to the audit log like a 台账 export
    with full numbers (the caller commits it)."""
    policy.require(actor, "roster.read", week)
    full = policy.may(actor, "phones.export_full")
    community = db.session.get(Community, week.community_id)
    live = _live_by_demand(week)
    demands = [d for d in week.demands if not d.cancelled]
    workbook = Workbook()
    workbook.remove(workbook.active)
    station_ids = sorted({d.station_id for d in demands if d.station_id})
    stations = {s.id: s for s in db.session.scalars(select(Station).where(Station.id.in_(station_ids)))}
    for station_id in station_ids:
        station = stations[station_id]
        _sheet(workbook, station.name, f"{community.name} {station.name} 值守表 {week.week}",
               [d for d in demands if d.station_id == station_id], live, full)
    _sheet(workbook, "服务任务", f"{community.name} 服务任务 {week.week}",
           [d for d in demands if not d.station_id], live, full)
    if full:
        shown = {a.volunteer_id for rows in live.values() for a in rows if a.volunteer.phone}
        contact.audit_export(actor, Volunteer, week.community_id, len(shown), "xlsx", revealed="phone",
                             page=f"roster_weeks:{week.id}")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


ATTENDANCE_HEADERS = ["日期", "时间", "岗位", "志愿者", "签到", "签退", "计入分钟", "已服务"]


def attendance_rows(actor: Actor, week: RosterWeek) -> list[Assignment]:
    """The week's standing duties, in time order: the attendance sheet's rows (page and workbook)."""
    policy.require(actor, "roster.read", week)
    return db.session.scalars(select(Assignment).join(Demand).where(
        Assignment.week_id == week.id, Assignment.status.in_(ACTIVE), Demand.cancelled.is_(False))
        .order_by(Demand.start, Demand.id, Assignment.id)).all()


def attendance_workbook(actor: Actor, week: RosterWeek) -> bytes:
    """考勤台账: each duty's check-in, check-out and the minutes it counts for (``served_minutes``)."""
    community = db.session.get(Community, week.community_id)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "考勤"
    sheet.append(safe_row([f"{community.name} 考勤台账 {week.week}"], sheet))
    sheet["A1"].font = Font(size=14, bold=True)
    sheet.append(ATTENDANCE_HEADERS)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for assignment in attendance_rows(actor, week):
        demand = assignment.demand
        served = assignment.served_at is not None
        sheet.append(safe_row([
            demand.start.strftime("%Y-%m-%d"), f"{demand.start:%H:%M}-{demand.end:%H:%M}", demand.title,
            assignment.volunteer.name,
            f"{assignment.checked_in_at:%H:%M}" if assignment.checked_in_at else "",
            f"{assignment.checked_out_at:%H:%M}" if assignment.checked_out_at else "",
            served_minutes(assignment) if served else "", "是" if served else "否",
        ], sheet))
    for index, width in enumerate([12, 13, 18, 12, 8, 8, 9, 7], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def rotate_feed(actor: Actor) -> str:
    """A new secret feed URL token for the actor's own duties (the old link stops working); returned once."""
    volunteer = my_volunteer(actor)
    if volunteer is None:
        raise NotFound(_l("You have no volunteer record."), code="no_volunteer_record")
    token = secrets.token_urlsafe(24)
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.volunteer_id == volunteer.id))
    feed = feed or CalendarFeed(volunteer_id=volunteer.id)
    feed.token_hash = _digest(token)
    db.session.add(feed)
    db.session.flush()
    return token


def feed_calendar(token: str, today: datetime) -> bytes | None:
    """The calendar behind a secret feed URL (None for an unknown token): the token is the credential,
    so no one signs in. Current assignments from four weeks back to twelve ahead, in Asia/Shanghai time."""
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == _digest(token)))
    volunteer = db.session.get(Volunteer, feed.volunteer_id) if feed else None
    if volunteer is None:
        return None
    zone = ZoneInfo("Asia/Shanghai")
    rows = db.session.scalars(
        select(Assignment).join(Demand).where(
            Assignment.volunteer_id == volunteer.id, Assignment.status.in_(ACTIVE),
            Demand.start >= today - timedelta(weeks=4), Demand.start <= today + timedelta(weeks=12))
        .order_by(Demand.start)).all()
    cal = Calendar()
    cal.add("prodid", "-//jiamenkou//roster//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"家门口志愿服务 {volunteer.name}")
    cal.add("x-wr-timezone", "Asia/Shanghai")
    for assignment in rows:
        demand = assignment.demand
        event = Event()
        event.add("uid", f"assignment-{assignment.id}@jiamenkou")
        event.add("summary", demand.title or "志愿服务")
        event.add("dtstart", demand.start.replace(tzinfo=zone))
        event.add("dtend", demand.end.replace(tzinfo=zone))
        event.add("dtstamp", utcnow())
        if demand.station is not None:
            event.add("location", f"{demand.station.name} {demand.station.address}".strip())
        event.add("status", "CONFIRMED" if assignment.status == AssignmentStatus.confirmed else "TENTATIVE")
        event.add("sequence", assignment.version)
        cal.add_component(event)
    return cal.to_ical()
