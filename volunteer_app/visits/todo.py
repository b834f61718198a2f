"""Overdue priority-group visits on the grid worker's to-do list."""
from flask import url_for
from flask_babel import ngettext

from ..accounts.policy import Actor
from ..todo import TodoItem
from .service import overdue_count


def visits_todo(actor: Actor) -> list[TodoItem]:
    if not actor.is_staff:
        return []
    count = overdue_count(actor)
    return [TodoItem("overdue_visits", count, ngettext("%(num)s priority-group resident is due a visit",
                                                       "%(num)s priority-group residents are due a visit", count),
                     url_for("visit_pages.overdue"), urgent=True)]
