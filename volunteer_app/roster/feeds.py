"""The personal iCalendar feed: a secret URL that calendar apps poll without logging in."""
from flask import Blueprint, Response, abort

from ..extensions import limiter
from . import exports
from ..clock import now_local

bp = Blueprint("feeds", __name__)


@bp.get("/calendar/<token>.ics")
@limiter.limit("60 per minute")
def calendar(token: str):
    volunteer = exports.volunteer_for_feed(token)
    if volunteer is None:
        abort(404)
    return Response(exports.calendar(volunteer, now_local()), mimetype="text/calendar",
                    headers={"Content-Disposition": "inline; filename=jiamenkou.ics",
                             "Cache-Control": "private, max-age=300"})
