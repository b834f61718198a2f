"""Figures of the 数字驾驶舱 for an ISO week or a month: per community and grid, the
周通报 ranking of communities, and the 双报到 feedback report per work unit.

Modules: ``periods`` (weeks and months, parsed from their labels), ``areas``
(the communities and grids a report covers), ``figures`` (the collectors and
their sums), ``dashboard`` (the 数字驾驶舱 and the 周通报 ranking) and ``party``
(the 双报到 report). Callers import from the package itself.
"""
from .areas import Area, area_for, communities_of, grids_of
from .dashboard import TOP_VOLUNTEERS, TREND_WEEKS, dashboard, hours_by_week, ranking, top_volunteers
from .figures import (ALL_FIGURES, COMPLETED, REQUEST_FIGURES, Figures, Table, by_community, figures_table, ratio,
                      total)
from .party import Member, Unit, covers_post, day_of, party_units, time_of_day, weekday_of
from .periods import PERIOD_HELP, Period, month_of, parse_period, previous, today, week_of

__all__ = [
    "ALL_FIGURES", "COMPLETED", "PERIOD_HELP", "REQUEST_FIGURES", "TOP_VOLUNTEERS", "TREND_WEEKS",
    "Area", "Figures", "Member", "Period", "Table", "Unit",
    "area_for", "by_community", "communities_of", "covers_post", "dashboard", "day_of", "figures_table",
    "grids_of", "hours_by_week", "month_of", "parse_period", "party_units", "previous", "ranking", "ratio",
    "time_of_day", "today", "top_volunteers", "total", "week_of", "weekday_of",
]
