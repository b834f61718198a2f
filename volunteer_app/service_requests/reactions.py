"""How residents' requests take part in the roster: planned with its duties, dispatched when it is published,
listed on the volunteer's week. The roster knows none of this; it calls its hooks and sends its signals."""
from flask import Flask

from ..accounts.policy import Actor
from ..events import week_published
from ..roster.hooks import MyWeekSection, register_my_week_section, register_task_source
from . import service


class RequestTasks:
    """Accepted requests with a time this week are tasks ``r<id>``; dispatched ones keep their volunteer."""

    def tasks(self, community_id: int, week: str) -> list[dict]:
        return service.tasks_for_week(community_id, week)

    def pinned(self, community_id: int, week: str) -> list[dict]:
        return service.task_pairs_for_week(community_id, week)


@week_published.connect
def dispatch_what_the_roster_planned(week, planned_requests: dict[int, int], actor, **_) -> None:
    """The publisher (an actor; nobody: the repair after a decline) dispatches what their roster planned."""
    service.dispatch_planned(actor if actor is not None else Actor.system(), planned_requests)


def my_requests_section(actor: Actor, week: str) -> MyWeekSection:
    return MyWeekSection("services/_my_week_requests.html", service.my_requests(actor, week))


def init_app(app: Flask) -> None:
    register_task_source(app, RequestTasks())
    register_my_week_section(app, my_requests_section)
