"""Follow-ups (回访): a low rating opens one for the coordinators, who call and close it."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from ...accounts import policy
from ...accounts.policy import Actor
from ...errors import Conflict, NotFound
from ...extensions import db
from ...notifications.service import Note, coordinators_of, notify
from ..models import FollowUp, FollowUpStatus, ServiceRequest
from .common import lock_row, now, reached


def _not_found(follow_up_id: int) -> NotFound:
    return NotFound(_l("Follow-up No. %(id)s not found.", id=follow_up_id))


def low_rating_reason(request: ServiceRequest):
    """Why a low rating is followed up: the rating and the comment with it."""
    rated = {"rating": request.rating, "comment": request.rating_comment}
    return _l("Rated %(rating)s: %(comment)s", **rated) if request.rating_comment else _l("Rated %(rating)s", **rated)


def open_follow_up(request: ServiceRequest, code: str, reason) -> FollowUp:
    """``reason``: the app's words (a lazy text) on why to call."""
    follow_up = FollowUp(request_id=request.id, community_id=request.community_id, grid_id=request.grid_id,
                         reason_code=code, reason_text=reason)
    db.session.add(follow_up)
    db.session.flush()
    notify(coordinators_of(request.community_id), Note(
        "follow_up", _l("Follow up a low rating: %(service)s #%(id)s", service=request.service_type.name,
                        id=request.id), reason, f"/follow-ups/{follow_up.id}"))
    return follow_up


def follow_ups_query(actor: Actor, args: dict) -> Select:
    policy.require(actor, "follow_ups.manage")
    statement = select(FollowUp).where(policy.where(actor, "follow_ups.manage", FollowUp))
    for key in ("community_id", "status"):
        if args.get(key) is not None:
            statement = statement.where(getattr(FollowUp, key) == args[key])
    return statement.order_by(FollowUp.id.desc())


def close_follow_up(actor: Actor, follow_up_id: int, note: str) -> FollowUp:
    follow_up = reached(actor, "follow_ups.manage", lock_row(FollowUp, follow_up_id), _not_found(follow_up_id))
    if follow_up.status == FollowUpStatus.closed:
        closed = _l("Already closed.")
        raise Conflict(closed, {"id": [closed]}, code="already_closed")
    follow_up.status, follow_up.closed_at, follow_up.closed_by_id, follow_up.note = (
        FollowUpStatus.closed, now(), actor.id, note)
    db.session.flush()
    return follow_up


def get_follow_up(actor: Actor, follow_up_id: int) -> FollowUp:
    """A follow-up in the actor's scope; any other is 404, like an unknown id."""
    return reached(actor, "follow_ups.manage", db.session.get(FollowUp, follow_up_id), _not_found(follow_up_id))
