"""The coordinators' overview, earning rules and approvals of pending earnings."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import Schema
from sqlalchemy import func, select

from ...accounts import policy
from ...accounts.policy import current_actor
from ...extensions import db
from ...people.models import Volunteer
from ...places.models import Community
from ...resources import paginate
from ...views import (
    RECORD_ID, FormProblems, blank_to_none, form_rows, form_view, hhmm, load_query, names_by_id, save, staff_required,
)
from .. import schemas, service
from ..models import AccountKind, Approval, EarningRule, EarningStatus, RedemptionStatus
from . import bp
from .common import (
    PER_PAGE, managed_communities, managed_community, next_url, service_types, shown, status_of,
)
from ...labels import label


#: Rate lines offered blank on the rules form, so it works without script.
BLANK_RATE_ROWS = 2


# --- coordinators: overview, rules, approvals ------------------------------------------------------------

def count(statement) -> int:
    return db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))


@bp.get("/points/manage")
@staff_required
def manage():
    """What waits for the coordinator, each community's pool and rules, and the ledger check."""
    actor = current_actor()
    communities = managed_communities()
    ids = [c.id for c in communities]
    rules = {rule.community_id: rule for rule in db.session.scalars(
        service.rules.query(actor).where(EarningRule.community_id.in_(ids)))} if ids else {}
    return render_template(
        "points/manage.html", communities=communities, rules=rules,
        pools=service.account_of(actor, AccountKind.community_pool, ids),
        holdings=service.account_of(actor, AccountKind.holding, ids),
        pending=count(service.earnings_query(actor, {"status": EarningStatus.pending})),
        requested=count(service.redemptions_query(actor, {"status": RedemptionStatus.requested})),
        approved=count(service.redemptions_query(actor, {"status": RedemptionStatus.approved})),
        # The check reads the whole installation's ledger: for the administrator, not every coordinator's visit.
        books=service.check_books(actor) if policy.may(actor, "points.check_books") else None,
    )


RULE_NUMBERS = ("default_rate", "evening_percent", "holiday_percent", "callout_percent", "weekly_cap",
                "gift_max_per_transfer", "gift_max_per_month")
RULE_SWITCHES = ("gifts_enabled", "gift_priority_only", "cross_community")


def rule_values(rule) -> dict:
    values = {key: "" if getattr(rule, key) is None else str(getattr(rule, key)) for key in RULE_NUMBERS}
    values.update({key: bool(getattr(rule, key)) for key in RULE_SWITCHES})
    values.update(evening_from=hhmm(rule.evening_from), approval=rule.approval.value,
                  rates=[{"service_type": code, "rate": str(rate)} for code, rate in sorted(rule.rates.items())])
    if rule.id is not None:
        values["version"] = str(rule.version)
    return values


def rule_form_values(form) -> dict:
    values = {key: form.get(key, "").strip() for key in (*RULE_NUMBERS, "evening_from", "approval", "version")}
    values.update({key: bool(form.get(key)) for key in RULE_SWITCHES})
    values["rates"] = form_rows(form, "rates", ("service_type", "rate"), significant=("service_type", "rate"))
    return values


def rule_payload(community: Community):
    def payload(values: dict, rule) -> dict:
        data = blank_to_none(values, (*RULE_NUMBERS, "evening_from", "approval"))
        data.update({key: values[key] for key in RULE_SWITCHES})
        data["rates"] = {row["service_type"]: int(row["rate"]) if row["rate"].isdigit() else row["rate"] or None
                         for row in values["rates"]}
        if rule is None:
            data["community_id"] = community.id
        return data
    return payload


@bp.get("/points/manage/rules")
@staff_required
def rules():
    communities = managed_communities()
    ids = [c.id for c in communities]
    saved = {rule.community_id: rule for rule in db.session.scalars(
        service.rules.query(current_actor()).where(EarningRule.community_id.in_(ids)))} if ids else {}
    return render_template("points/rules.html", communities=communities,
                           rules={c.id: saved.get(c.id) or service.default_rule(c.id) for c in communities},
                           saved=saved, service_types=service_types())


@bp.route(f"/points/manage/rules/<{RECORD_ID}:community_id>", methods=["GET", "POST"])
@staff_required
def rule_edit(community_id: int):
    """A community's earning rule, edited through the API's schema; the version catches concurrent edits."""
    community = managed_community(community_id)
    rule = db.session.scalar(service.rules.query(current_actor()).where(EarningRule.community_id == community.id))
    return form_view(
        service=service.rules, in_schema=schemas.EarningRuleIn, obj=rule,
        values_for=lambda obj: rule_values(obj or service.default_rule(community.id)),
        values_from_form=rule_form_values, payload=rule_payload(community),
        render=lambda values, problems: render_template(
            "points/rule_form.html", community=community, rule=rule, values=values, problems=shown(problems),
            blank_rows=BLANK_RATE_ROWS, service_types=service_types(),
            approvals=[a.value for a in Approval]),
        saved_message=lambda saved: _("The points rules of %(name)s are saved.", name=community.name),
        next_url=lambda saved: url_for("points_pages.rules"),
    )


def render_earnings(args: dict, problems: FormProblems | None = None, target: int | None = None):
    actor = current_actor()
    page = paginate(service.earnings_query(actor, args), args["page"], PER_PAGE)
    return render_template(
        "points/earnings.html", page=page, args=args, problems=problems, target=target,
        volunteers=names_by_id(Volunteer, [e.volunteer_id for e in page["items"]]),
        names=names_by_id(Community, [e.community_id for e in page["items"]]), communities=managed_communities(),
        statuses=[s.value for s in EarningStatus], can_decide=lambda e: policy.may(actor, "points.manage", e),
        service_types=service_types(),
    ), status_of(problems)


def earnings_args() -> dict:
    """The list's filters: pending earnings unless the form asks for another status (blank: all)."""
    args = load_query(schemas.EarningQuery())
    if "status" not in request.args:
        args["status"] = EarningStatus.pending
    return args


@bp.get("/points/manage/earnings")
@staff_required
def earnings():
    return render_earnings(earnings_args())


@bp.post(f"/points/earnings/<{RECORD_ID}:earning_id>/<any(approve, reject):decision>")
@staff_required
def earning_decide(earning_id: int, decision: str):
    """Approve a pending earning (its points are posted, weekly cap applied now) or reject it with a reason."""
    actor = current_actor()
    reason = request.form.get("reason", "").strip()
    if decision == "approve":
        decided, problems = save(Schema(), {}, lambda _n: service.approve_earning(actor, earning_id))
    else:
        decided, problems = save(schemas.ReasonIn(), {"reason": reason}, lambda loaded: service.reject_earning(
            actor, earning_id, loaded["reason"]))
    back = next_url(url_for("points_pages.earnings"))
    if problems is not None:
        problems = shown(problems)
        status = problems.errors.pop("status", None)
        if status:
            problems.message = _("This earning is already decided (%(status)s).",
                                 status=str(label("earning", status[0])))
        return render_earnings(earnings_args(), problems, target=earning_id)
    if decided.status == EarningStatus.posted:
        flash(_("%(points)s points posted.", points=decided.points), "success")
    elif decided.status == EarningStatus.capped:
        flash(_("Approved, but the weekly cap was already reached: nothing posted."), "warning")
    else:
        flash(_("Earning rejected."), "success")
    return redirect(back)
