"""What the points pages share: page sizes, labels, refusals in the page's language, money in
yuan, and the communities the caller manages.
"""
import re
from decimal import Decimal, InvalidOperation

from flask import request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ...accounts.scoping import current_scope
from ...errors import Conflict, Forbidden, NotFound
from ...extensions import db
from ...people import service as people
from ...people.models import Skill
from ...places import service as places
from ...places.models import Community
from ...views import FormProblems, scoped_options, skill_name, translate_error
from .. import service
from ..models import Redemption
from . import bp


#: Lines of a statement, earnings or orders on one page (phones scroll, but not forever).
PER_PAGE = 20
#: Catalogue items and partner lists on one page; a community offers a few dozen.
CATALOGUE_PER_PAGE = 60


# --- labels -------------------------------------------------------------------------------------

POINTS_LABELS = {
    "transfer": {"earning": _l("Earned for service"), "redemption": _l("Redemption"),
                 "settlement": _l("Paid to the partner"), "gift": _l("Gift"), "grant": _l("Grant from the pool"),
                 "reversal": _l("Correction or refund")},
    "earning": {"pending": _l("Awaiting approval"), "posted": _l("Posted"), "capped": _l("Weekly cap reached"),
                "rejected": _l("Rejected"), "reversed": _l("Reversed")},
    "order": {"requested": _l("Awaiting approval"), "approved": _l("Approved, to be fulfilled"),
              "fulfilled": _l("Order fulfilled"), "rejected": _l("Rejected"), "cancelled": _l("Cancelled")},
    "action": {"approve": _l("Approve"), "fulfil": _l("Mark fulfilled"), "reject": _l("Reject"),
               "cancel": _l("Cancel the order")},
    "done": {"approve": _l("Order No. %(id)s approved."), "fulfil": _l("Order No. %(id)s fulfilled."),
             "reject": _l("Order No. %(id)s rejected; the points went back."),
             "cancel": _l("Order No. %(id)s cancelled; the points went back.")},
    "item_kind": {"service": _l("Service"), "fee_discount": _l("Fee discount"), "goods": _l("Goods")},
    "partner_kind": {"property_company": _l("Property company"), "shop": _l("Shop"),
                     "service_provider": _l("Service provider"), "other": _l("Other")},
    "approval": {"auto": _l("Automatically"), "coordinator": _l("After a coordinator approves")},
    "account": {"volunteer": _l("Volunteer"), "resident": _l("Resident"), "community_pool": _l("Community pool"),
                "partner": _l("Partner"), "holding": _l("Orders in progress"), "issuance": _l("Issuance")},
    "flag": {"evening": _l("Evening"), "holiday": _l("Public holiday"), "callout": _l("Emergency call-out")},
    "source": {"assignment": _l("Roster duty"), "request": _l("Service request")},
    "service_type": {"shift": _l("Duty shift"), "task": _l("Task")},
}

#: Service refusals are English API text; shown here in the page's language.
_POINTS_TEXTS: list[tuple[re.Pattern, object]] = [(re.compile(p), msg) for p, msg in (
    (r"needs (?P<needed>\d+) points, the balance is (?P<balance>-?\d+)",
     _l("Needs %(needed)s points, but the balance is %(balance)s.")),
    (r"only (?P<stock>\d+) in stock", _l("Only %(stock)s left in stock.")),
    (r"no such item on offer", _l("This item is not on offer.")),
    (r"offered in another community; cross-community redemption is not allowed",
     _l("This item is offered in another community, and the rules do not allow redeeming there.")),
    (r"at most (?P<max>\d+) per gift", _l("At most %(max)s points per gift.")),
    (r"at most (?P<left>\d+) more this month \(limit (?P<limit>\d+)\)",
     _l("At most %(left)s more points this month (the limit is %(limit)s a month).")),
    (r"no such resident in your community", _l("Not a resident of your community.")),
    (r"not in a priority group .*", _l("Gifts go only to residents in difficulty (低保, 残疾, 独居 …).")),
    (r"give either resident_id or to_pool=true", _l("Choose a resident or the community pool.")),
    (r"give either resident_id or volunteer_id", _l("Choose one resident or one volunteer.")),
    (r"not in this community", _l("Not in this community.")),
    (r"required when rejecting", _l("Say why.")),
    (r"required for goods \(0 or more\)", _l("Goods need a stock (0 or more).")),
    (r"required for fee_discount, not allowed otherwise",
     _l("A fee discount needs its amount in yuan; other kinds have none.")),
    (r"partner is in another community", _l("This partner is in another community.")),
    (r"cannot be changed; create a new record there", _l("Cannot move to another community.")),
    (r"already has rule \d+; change that one", _l("This community has its rules already.")),
    (r"already reversed", _l("Already corrected.")),
    (r"is a reversal", _l("A correction cannot itself be corrected.")),
    (r"is a (redemption|settlement)", _l("Orders are corrected by rejecting or cancelling the order.")),
    (r"deactivate instead of deleting", _l("It is in use: switch it off (not on offer) instead of deleting it.")),
    (r"must be a whole number of at least 1", _l("Enter a whole number of at least 1.")),
    (r"use YYYY-MM, e\.g\. \S+", _l("Enter a month as YYYY-MM, e.g. 2026-11.")),
    (r"must not be before from_month", _l("The last month must not be before the first.")),
    (r"send the Idempotency-Key header or this field", _l("This form is out of date. Reload the page.")),
)]


def status_of(problems: FormProblems | None) -> int:
    return problems.status if problems else 200


def points_label(kind: str, value) -> str:
    key = getattr(value, "value", value)
    text = POINTS_LABELS.get(kind, {}).get(key)
    return str(text) if text is not None else str(key)


def say(text: str) -> str:
    """A service or schema message in the page's language."""
    return translate_error(text, _POINTS_TEXTS)


def shown(problems: FormProblems | None, **renamed) -> FormProblems | None:
    """Translate the problems and move some under the form field that shows them (``resident_id="recipient"``)."""
    if problems is None:
        return None
    errors: dict[str, list[str]] = {}
    for key, messages in problems.errors.items():
        errors.setdefault(renamed.get(key, key), []).extend(say(m) for m in messages)
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
    names = {code: points_label("service_type", code) for code in ("shift", "task")}
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
            service.may_act(current_user, order, action)
        except (Forbidden, Conflict):
            continue
        actions.append(action)
    return actions


@bp.context_processor
def points_helpers():
    return {"points_label": points_label, "allowed_actions": allowed_actions,
            "is_staff": current_user.is_authenticated and service.is_coordinator(current_user)}


def managed_communities() -> list[Community]:
    """Communities whose points the caller manages (a grid's community is visible, not managed)."""
    scope = current_scope()
    return [c for c in scoped_options(places.communities, Community.code) if scope.allows(c.id)]


def in_scope_community(community_id: int) -> Community:
    community = db.session.get(Community, community_id)
    if community is None or not current_scope().allows(community.id):
        raise NotFound(f"community {community_id} not found")
    return community
