"""What the points pages share: page sizes, where refusals are shown, money in yuan, and the
communities the caller manages.
"""
from decimal import Decimal, InvalidOperation

from flask import request
from flask_login import current_user

from ...accounts import policy
from ...accounts.policy import current_actor
from ...errors import Conflict, Forbidden
from ...people import service as people
from ...people.models import Skill
from ...places import service as places
from ...places.models import Community
from ...views import FormProblems, scoped_options, skill_name
from .. import service
from ..models import Redemption
from . import bp
from ...labels import label


#: Lines of a statement, earnings or orders on one page (phones scroll, but not forever).
PER_PAGE = 20
#: Catalogue items and partner lists on one page; a community offers a few dozen.
CATALOGUE_PER_PAGE = 60


def status_of(problems: FormProblems | None) -> int:
    return problems.status if problems else 200


def shown(problems: FormProblems | None, **renamed) -> FormProblems | None:
    """Move some problems under the form field that shows them (``resident_id="recipient"``)."""
    if problems is None:
        return None
    errors: dict[str, list[str]] = {}
    for key, messages in problems.errors.items():
        errors.setdefault(renamed.get(key, key), []).extend(messages)
    problems.errors = errors
    return problems


@bp.app_template_filter("yuan")
def yuan(fen: int | None) -> str:
    return f"¥{Decimal(fen) / 100:.2f}" if fen is not None else ""


def yuan_to_fen(text: str):
    """``"10.5"`` → 1050; anything else is passed on for the schema to refuse."""
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return text
    fen = amount * 100
    return int(fen) if amount.is_finite() and fen == fen.to_integral_value() else text


def service_types() -> dict[str, str]:
    """Names of the service types an earning rule rates: duty shifts, tasks and the skills."""
    names = {code: str(label("service_type", code)) for code in ("shift", "task")}
    names.update({skill.code: skill_name(skill) for skill in scoped_options(people.skills, Skill.code)})
    return names


def next_url(default: str) -> str:
    """Where a form came from (a local path only), else ``default``."""
    target = request.form.get("next", "")
    local = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if local else default


def allowed_actions(order: Redemption) -> list[str]:
    """What the current user may do to the order now, asked of the service's own rules."""
    actions = []
    for action, (starts, _target) in service.TRANSITIONS.items():
        if order.status not in starts:
            continue
        try:
            service.may_act(current_actor(), order, action)
        except (Forbidden, Conflict):
            continue
        actions.append(action)
    return actions


@bp.context_processor
def points_helpers():
    return {"allowed_actions": allowed_actions,
            "is_staff": current_user.is_authenticated and current_actor().is_staff}


def managed_communities() -> list[Community]:
    """Communities whose points the caller manages (a grid's community is visible, not managed)."""
    actor = current_actor()
    return [c for c in scoped_options(places.communities, Community.code) if policy.may(actor, "points.manage", c)]


def managed_community(community_id: int) -> Community:
    return policy.get(current_actor(), "points.manage", Community, community_id)
