"""Resident requests on the coordinator's to-do list: overdue ones, and new ones waiting to be accepted."""
from flask import url_for
from flask_babel import ngettext
from sqlalchemy import func, select

from ..accounts.policy import Actor
from ..extensions import db
from ..todo import TodoItem
from .service import queue_query


def requests_todo(actor: Actor) -> list[TodoItem]:

    def count(tab: str) -> int:
        return db.session.scalar(select(func.count()).select_from(queue_query(actor, {}, tab).order_by(None).subquery()))

    overdue, new = count("overdue"), count("new")
    return [
        TodoItem("overdue_requests", overdue, ngettext("%(num)s request is past its deadline",
                                                       "%(num)s requests are past their deadlines", overdue),
                 url_for("services_pages.queue", tab="overdue"), urgent=True),
        TodoItem("new_requests", new, ngettext("%(num)s new request waits to be accepted",
                                               "%(num)s new requests wait to be accepted", new),
                 url_for("services_pages.queue", tab="new")),
    ]
