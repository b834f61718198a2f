"""The personal iCalendar feed: a secret URL that calendar apps poll without logging in."""
from flask import Blueprint, Response, abort

from ..clock import now_local
from ..extensions import limiter
from . import exports

bp = Blueprint("feeds", __name__)


@bp.get("/calendar/<token>.ics")
@limiter.limit("60 per minute")
def calendar(token: str):
    body = exports.feed_calendar(token, now_local())
    if body is None:
        abort(404)
    return Response(body, mimetype="text/calendar", headers={"Content-Disposition": "inline; filename=jiamenkou.ics",
                                                             "Cache-Control": "private, max-age=300"})
