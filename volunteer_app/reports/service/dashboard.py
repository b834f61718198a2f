"""The 数字驾驶舱 (every figure, the hours trend, the 光荣榜) and the 周通报 ranking of communities."""
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import case, func, select

from ...accounts.policy import Actor
from ...extensions import db
from ...people.models import ServiceLog, Volunteer
from ...service_requests import service as requests_service
from .areas import Area, area_for, communities_of, grids_of
from .figures import REQUEST_FIGURES, Figures, by_community, figures_table, total
from .periods import Period, week_of

TREND_WEEKS = 8  # the hours chart: the period's last week and the seven before it


def hours_by_week(period: Period, area: Area, weeks: int = TREND_WEEKS) -> list[dict]:
    """Hours served in each of the ``weeks`` ISO weeks up to the one holding the period's last day."""
    mondays = [week_of(period.last).first - timedelta(weeks=n) for n in reversed(range(weeks))]
    L, V = ServiceLog, Volunteer
    bucket = case(*[(L.served_on < monday + timedelta(days=7), index) for index, monday in enumerate(mondays)])
    minutes = dict(db.session.execute(
        select(bucket, func.sum(L.minutes)).join(V, V.id == L.volunteer_id)
        .where(L.served_on >= mondays[0], L.served_on < mondays[-1] + timedelta(days=7),
               area.clause(V.community_id, V.grid_id))
        .group_by(bucket)).all())
    return [{"week": week_of(monday).label, "hours": round(int(minutes.get(index, 0)) / 60, 1)}
            for index, monday in enumerate(mondays)]


TOP_VOLUNTEERS = 10


def top_volunteers(period: Period, area: Area, limit: int = TOP_VOLUNTEERS) -> list[dict]:
    """The volunteers who served most hours in the period (光荣榜), among those who agreed to be named.

    Everyone's hours count in the totals; only consenting volunteers
    (``Volunteer.show_in_rankings``) are listed by name.
    """
    L, V = ServiceLog, Volunteer
    minutes = func.sum(L.minutes)
    rows = db.session.execute(
        select(V.id, V.name, V.community_id, minutes, func.count(L.id))
        .join(V, V.id == L.volunteer_id)
        .where(L.served_on >= period.first, L.served_on < period.after, V.show_in_rankings.is_(True),
               area.clause(V.community_id, V.grid_id))
        .group_by(V.id, V.name, V.community_id).order_by(minutes.desc(), V.id).limit(limit))
    return [{"rank": rank, "volunteer_id": volunteer_id, "name": name, "community_id": community_id,
             "hours": round(int(total) / 60, 1), "services": count}
            for rank, (volunteer_id, name, community_id, total, count) in enumerate(rows, start=1)]


def dashboard(actor: Actor, period: Period, community_id: int | None = None) -> dict:
    """Every figure for the actor's communities and grids, their total, and the hours trend."""
    area = area_for(actor, community_id)
    table = figures_table(period, area)
    communities = by_community(table)
    return {
        "period": period,
        "community_id": community_id,
        "totals": total(table),
        "communities": [{"community_id": c.id, "grid_id": None, "name": c.name,
                         "figures": communities.get(c.id, Figures())} for c in communities_of(area)],
        "grids": [{"community_id": g.community_id, "grid_id": g.id, "name": g.name,
                   "figures": table.get((g.community_id, g.id), Figures())} for g in grids_of(area)],
        "hours_by_week": hours_by_week(period, area),
        "top_volunteers": top_volunteers(period, area),
        "generated_at": requests_service.now(),
    }


# --- 周通报: the ranking of communities ------------------------------------------------------------


def _rank_key(figures: Figures) -> tuple:
    """Higher completion rate first, then higher mean rating, then higher on-time rate; no figure last."""
    return tuple((value is None, -(value or 0))
                 for value in (figures.completion_rate, figures.mean_rating, figures.on_time_rate))


def ranking(actor: Actor, period: Period) -> dict:
    """The actor's whole communities ranked for the 周通报; equal figures share a rank (1, 1, 3)."""
    area = replace(area_for(actor), whole_communities=True)
    table = figures_table(period, area, REQUEST_FIGURES)
    figures = by_community(table)
    communities = sorted(communities_of(area), key=lambda c: (_rank_key(figures.get(c.id, Figures())), c.code))
    rows, previous_key = [], None
    for position, community in enumerate(communities, start=1):
        community_figures = figures.get(community.id, Figures())
        key = _rank_key(community_figures)
        rank = rows[-1]["rank"] if key == previous_key else position
        rows.append({"rank": rank, "community_id": community.id, "name": community.name,
                     "figures": community_figures})
        previous_key = key
    return {"period": period, "rows": rows}
