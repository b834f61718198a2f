"""Rules of visits (走访) and the 民情日志, one module per part, each importing only those above it:

* ``common``: the clock (tests fix ``common.now``) and months;
* ``frequencies``: how often each priority group is visited (defaults, each community's own);
* ``records``: visits, their needs, and passing a need on as a request or a wish;
* ``households``: the households of the actor's grids with their latest visit;
* ``overdue``: priority-group residents past their interval;
* ``figures``: 走访覆盖率 and the other figures per grid and community.

Callers use the package: the names below are its interface.
"""
from .common import current_minute, month_span, today
from .figures import VisitFigures, report
from .frequencies import DEFAULT_EVERY_DAYS, Frequency, community_frequencies, may_set_frequencies, set_frequencies
from .households import Household, households
from .overdue import DueVisit, overdue, overdue_count
from .records import (
    MAX_NEEDS, add_need, file_need_as_request, menu_for, post_need_as_wish, visit_target, visits,
)

__all__ = [
    "DEFAULT_EVERY_DAYS", "DueVisit", "Frequency", "Household", "MAX_NEEDS", "VisitFigures", "add_need",
    "community_frequencies", "current_minute", "file_need_as_request", "households", "may_set_frequencies",
    "menu_for", "month_span", "overdue", "overdue_count", "post_need_as_wish", "report", "set_frequencies", "today",
    "visit_target", "visits",
]
