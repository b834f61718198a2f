"""A published week's duty list goes to its community's 企业微信 group (the roster tells the group;
notifications only carry the message). Connected when this module is imported (at start-up)."""
from collections import defaultdict

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..events import week_published
from ..extensions import db
from ..notifications.service import Note, post_to_group
from ..people.models import Volunteer
from ..views import WEEKDAYS
from .models import Assignment, AssignmentStatus, Demand

GROUP_LOCALE = "zh_CN"  # the work group reads Chinese whoever pressed "publish"


def duty_lines(week) -> list[str]:
    """One line per duty of the live week, in time order: "周一 12-07 08:00–10:00 红色驿站：张伟、李娜"."""
    rows = db.session.execute(
        select(Demand, Volunteer.name).join(Assignment, Assignment.demand_id == Demand.id)
        .join(Volunteer, Volunteer.id == Assignment.volunteer_id)
        .where(Assignment.week_id == week.id,
               Assignment.status.in_((AssignmentStatus.assigned, AssignmentStatus.confirmed)))
        .order_by(Demand.start, Demand.id, Volunteer.name)).all()
    names: dict = defaultdict(list)
    for demand, name in rows:
        names[demand].append(name)
    return [f"{WEEKDAYS[d.start.weekday()]} {d.start:%m-%d %H:%M}–{d.end:%H:%M} "
            f"{d.station.name if d.station is not None else d.title}：{'、'.join(people)}"
            for d, people in names.items()]


@week_published.connect
def post_the_duty_list(week, **_) -> None:
    with force_locale(GROUP_LOCALE):
        lines = duty_lines(week)
    body = "\n".join(lines) if lines else _l("No duties this week.")
    post_to_group(week.community_id, None, Note("week_published", _l("Duty roster published: %(week)s", week=week.week),
                                                body, f"/my/week/{week.week}"))
