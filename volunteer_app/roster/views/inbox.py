"""Everyone's inbox of notifications."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ...notifications import service as notifications
from ...notifications.api import InboxQuery, ReadIn
from ...extensions import db
from ...resources import paginate
from ...views import load_query, save
from . import bp

# --- inbox -----------------------------------------------------------------------------------

def local_link(link: str) -> str | None:
    """Only links inside this site are followed from a notification."""
    return link if link.startswith("/") and not link.startswith("//") else None


@bp.get("/inbox")
@login_required
def inbox():
    args = load_query(InboxQuery())
    page = paginate(notifications.inbox(current_user, args["unread"]), args["page"], args["per_page"])
    return render_template("roster/inbox.html", page=page, args=args, local_link=local_link)


@bp.post("/inbox/read")
@login_required
def inbox_read():
    data = {"ids": [value for value in request.form.getlist("ids") if value.strip()]}
    marked, problems = save(ReadIn(), data, lambda loaded: notifications.mark_read(current_user, loaded["ids"]))
    if problems is None:
        flash(_("%(count)s messages marked as read.", count=marked), "success")
    back = "1" if request.form.get("unread") == "1" else None
    return redirect(url_for("roster_pages.inbox", unread=back))


def unread_count(user) -> int:
    """The menu's badge beside 消息."""
    return db.session.scalar(select(func.count()).select_from(notifications.inbox(user, unread_only=True).subquery()))
