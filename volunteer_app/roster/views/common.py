"""Shared by the roster pages: labels, weeks as people read them, and names for the solver's ids."""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...accounts.policy import current_actor
from ...clock import IsoWeek, now_local
from ...errors import InvalidInput, NotFound
from ...extensions import db
from ...people.display import distinguishing_labels
from ...people.models import Volunteer
from ...places import service as places
from ...places.models import Community, Station
from ...validation import parse_week
from ...views import OPTION_LIMIT, SHORT_DAYS, scoped_options
from .. import service
from ..models import RosterWeek
from ..reasons import Names, skill_names
from . import bp

#: Weeks and call-outs listed under their forms.
RECENT = 20


# --- labels ---------------------------------------------------------------------------------


def span(demand) -> str:
    """``18:00–20:00``, with the end's date when it ends on another day."""
    same_day = demand.end.date() == demand.start.date()
    end = demand.end.strftime("%H:%M" if same_day else "%m-%d %H:%M")
    return f"{demand.start:%H:%M}–{end}"


@bp.context_processor
def roster_helpers():
    return {"span": span, "short_days": SHORT_DAYS}


# --- weeks ----------------------------------------------------------------------------------


def today() -> date:
    return now_local().date()


def week_or_404(text: str) -> IsoWeek:
    """A week named in a URL; anything that is not a week of the years served is not a page."""
    try:
        return parse_week(text)
    except InvalidInput:
        raise NotFound(_l("There is no week %(week)s.", week=text)) from None


# --- names for the ids in the solver's and the service's words --------------------------------


def demand_label(demand) -> str:
    return f"{SHORT_DAYS[demand.start.weekday()]} {demand.start:%H:%M} {demand.title}"


def week_names(week: RosterWeek, volunteers=()) -> Names:
    """Names for one week's ids, for ``reasons.words``."""
    names = Names(skills=skill_names())
    names.demands = {d.id: demand_label(d) for d in week.demands}
    names.volunteers = distinguishing_labels(volunteers)
    return names


def community_volunteers(community_id: int) -> list[Volunteer]:
    return db.session.scalars(select(Volunteer).where(Volunteer.community_id == community_id)
                              .order_by(Volunteer.name, Volunteer.id)).all()


def station_options() -> list[Station]:
    return scoped_options(places.stations, Station.community_id, Station.code)


def plannable_communities() -> list[Community]:
    return service.plannable_communities(current_actor(), OPTION_LIMIT)
