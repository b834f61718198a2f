"""Staff pages of the notifications domain: the outbox (what went out, what failed, try again) and the
企业微信 group robots of their communities and grids. Thin like the other pages: the API's schemas and
services do the work."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import func, select

from ..accounts import policy
from ..accounts.policy import current_actor
from ..errors import Conflict
from ..extensions import db
from ..pii import mask_phone
from ..places.models import Community, Grid
from ..resources import commit, paginate
from ..views import OPTION_LIMIT, RECORD_ID, load_query, save, staff_required
from . import service, webhooks
from .schemas import InboxQuery, OutboxQuery, ReadIn, WebhookSchema

bp = Blueprint("notify_pages", __name__)

@bp.context_processor
def helpers():
    return {"when": lambda moment: format_datetime(moment, "yyyy-MM-dd HH:mm") if moment else ""}


def shown_recipient(message, hooks: dict) -> str:
    """Minimum necessary: a masked number, the group's name, an e-mail address."""
    if message.channel == "sms":
        return "+86 " + (mask_phone(message.recipient.removeprefix("+86")) or "")
    if message.channel == "wecom":
        hook = hooks.get(message.recipient)
        return hook.label or _("group robot %(id)s", id=message.recipient) if hook else message.recipient
    return message.recipient


@bp.get("/outbox")
@staff_required
def outbox():
    args = load_query(OutboxQuery())
    page = paginate(service.outbox_in_scope(current_actor(), args.get("status")), args["page"], args["per_page"])
    hook_ids = {int(m.recipient) for m in page["items"] if m.channel == "wecom" and m.recipient.isdigit()}
    hooks = {str(h.id): h for h in db.session.scalars(select(webhooks.GroupWebhook)
                                                         .where(webhooks.GroupWebhook.id.in_(hook_ids)))}
    return render_template("notifications/outbox.html", page=page, args=args,
                           configured=[c.name for c in service.configured_channels()],
                           recipient=lambda m: shown_recipient(m, hooks))


@bp.post(f"/outbox/<{RECORD_ID}:message_id>/retry")
@staff_required
def outbox_retry(message_id: int):
    try:
        service.retry(current_actor(), message_id)
        commit()
        flash(_("The message will be sent again."), "success")
    except Conflict:
        db.session.rollback()
        flash(_("Only a failed message can be sent again."), "error")
    return redirect(url_for("notify_pages.outbox", status=request.form.get("status") or None))


def _places():
    statement = select(Community).where(policy.where(current_actor(), "places.read", Community))
    communities = db.session.scalars(statement.order_by(Community.code).limit(OPTION_LIMIT)).all()
    grids = db.session.scalars(select(Grid).where(Grid.community_id.in_([c.id for c in communities]))
                               .order_by(Grid.code).limit(OPTION_LIMIT)).all()
    return communities, grids


@bp.route("/group-webhooks", methods=["GET", "POST"])
@staff_required
def group_webhooks():
    problems, values = None, {}
    if request.method == "POST":
        values = {key: request.form.get(key, "").strip() for key in ("community_id", "grid_id", "url", "label")}
        data = {key: value for key, value in values.items() if value}
        _hook, problems = save(WebhookSchema(), data, lambda loaded: webhooks.create(
            current_actor(), loaded["community_id"], loaded["grid_id"], loaded["url"], loaded["label"]))
        if problems is None:
            flash(_("Group robot saved."), "success")
            return redirect(url_for("notify_pages.group_webhooks"))
    communities, grids = _places()
    hooks = db.session.scalars(webhooks.in_scope(current_actor())).all()
    names = {("c", c.id): c.name for c in communities} | {("g", g.id): g.name for g in grids}
    return render_template("notifications/webhooks.html", hooks=hooks, communities=communities, grids=grids,
                           names=names, masked_url=webhooks.masked_url, problems=problems, values=values), \
        422 if problems is not None else 200


@bp.post(f"/group-webhooks/<{RECORD_ID}:webhook_id>/delete")
@staff_required
def group_webhook_delete(webhook_id: int):
    webhooks.delete(current_actor(), webhook_id)
    commit()
    flash(_("Group robot removed."), "success")
    return redirect(url_for("notify_pages.group_webhooks"))


# --- everyone's inbox ----------------------------------------------------------------------

def local_link(link: str) -> str | None:
    """Only links inside this site are followed from a notification."""
    return link if link.startswith("/") and not link.startswith("//") else None


@bp.get("/inbox")
@login_required
def inbox():
    args = load_query(InboxQuery())
    page = paginate(service.inbox(current_actor(), args["unread"]), args["page"], args["per_page"])
    return render_template("notifications/inbox.html", page=page, args=args, local_link=local_link)


@bp.post("/inbox/read")
@login_required
def inbox_read():
    data = {"ids": [value for value in request.form.getlist("ids") if value.strip()]}
    marked, problems = save(ReadIn(), data, lambda loaded: service.mark_read(current_actor(), loaded["ids"]))
    if problems is None:
        flash(_("%(count)s messages marked as read.", count=marked), "success")
    back = "1" if request.form.get("unread") == "1" else None
    return redirect(url_for("notify_pages.inbox", unread=back))


def unread_count(user) -> int:
    """The menu's badge beside 消息."""
    unread = service.inbox(current_actor(), unread_only=True)
    return db.session.scalar(select(func.count()).select_from(unread.subquery()))
