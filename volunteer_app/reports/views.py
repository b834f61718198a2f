"""Report pages for staff: the dashboard (数字驾驶舱) with server-drawn SVG charts, the
printable 周通报, and the 双报到 feedback per work unit.

Thin: the figures come from ``service``; what is left here is choosing the
period, labelling and drawing. Every chart's numbers are also in a table.
"""
from flask import Blueprint, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from marshmallow import Schema

from ..accounts.policy import current_actor
from ..errors import InvalidInput, NotFound
from ..places import service as places
from ..places.models import Community
from ..service_requests.models import RequestState
from ..service_requests.labels import SERVICE_LABELS
from ..validation import Id
from ..views import FormProblems, load_query, problems_from_domain, scoped_options, staff_required
from ..visits import service as visits
from . import service
from .charts import Bar, bar_chart, column_chart

bp = Blueprint("report_pages", __name__)

#: Communities drawn in the dashboard's ranking chart; the 周通报 page lists them all.
RANKING_BARS = 15

#: Request states as the request pages name them.
STATE_LABELS = SERVICE_LABELS["request"]


class PlaceArgs(Schema):
    community_id = Id()


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def rating(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


@bp.context_processor
def report_helpers():
    return {"percent": percent, "rating": rating, "state_labels": STATE_LABELS}


def chosen_period() -> tuple[service.Period | None, FormProblems | None]:
    """The ``period`` asked for (this week when none), or the problem with it, shown by the field."""
    text = request.args.get("period", "").strip()
    if not text:
        return service.week_of(service.today()), None
    try:
        return service.parse_period(text), None
    except InvalidInput as error:
        return None, problems_from_domain(error)


def period_choices() -> list[tuple[str, service.Period]]:
    """The picker's shortcuts."""
    this_week, this_month = service.week_of(service.today()), service.month_of(service.today())
    return [(_("This week"), this_week), (_("Last week"), service.previous(this_week)),
            (_("This month"), this_month), (_("Last month"), service.previous(this_month))]


def page_context(template: str, **context):
    """Render a report page: the period (or its problem), the picker and the community choice."""
    period, problems = chosen_period()
    communities = scoped_options(places.communities, Community.code)
    common = {"period": period, "problems": problems, "choices": period_choices(), "communities": communities,
              "period_text": request.args.get("period", "").strip() or (period.label if period else ""),
              "args": load_query(PlaceArgs())}
    if period is None:
        return render_template(template, **common), problems.status
    return render_template(template, **common, **{key: make(period, common["args"]) for key, make in context.items()})


def _state_chart(figures: service.Figures):
    bars = [Bar(str(STATE_LABELS[state.value]), figures.by_state.get(state.value, 0),
                str(figures.by_state.get(state.value, 0))) for state in RequestState]
    description = _("Requests filed in the period, by their state now; %(count)s in all.", count=figures.filed)
    return bar_chart("chart-states", _("Requests by state"), description, bars)


def _hours_chart(weeks: list[dict]):
    bars = [Bar(week["week"].split("-")[1], week["hours"], f"{week['hours']:g}") for week in weeks]  # "W48"
    return column_chart("chart-hours", _("Volunteer hours per week"),
                        _("Hours served in each of the %(count)s weeks from %(first)s to %(last)s.", count=len(weeks),
                          first=weeks[0]["week"], last=weeks[-1]["week"]), bars)


def _ranking_chart(rows: list[dict]):
    shown = rows[:RANKING_BARS]
    bars = [Bar(f"{row['rank']}. {row['name']}", row["figures"].completion_rate or 0,
                percent(row["figures"].completion_rate)) for row in shown]
    return bar_chart("chart-ranking", _("Completion rate by community"),
                     _("Communities in ranking order with their completion rate; %(shown)s of %(count)s shown.",
                       shown=len(shown), count=len(rows)), bars)


def dashboard_view(period: service.Period, args: dict) -> dict:
    actor = current_actor()
    report = service.dashboard(actor, period, args.get("community_id"))
    ranking = service.ranking(actor, period)
    show_grids = args.get("community_id") is not None or not report["communities"]
    visited = visits.report(current_actor(), period.first, period.after, args.get("community_id"))
    return {"report": report, "ranking": ranking, "show_grids": show_grids, "visits": visited,
            "charts": {"states": _state_chart(report["totals"]), "hours": _hours_chart(report["hours_by_week"]),
                       "ranking": _ranking_chart(ranking["rows"]) if ranking["rows"] else None}}


@bp.get("/reports")
@staff_required
def dashboard():
    return page_context("reports/dashboard.html", view=dashboard_view)


@bp.get("/reports/ranking")
@staff_required
def ranking():
    return page_context("reports/ranking.html", ranking=lambda period, args: service.ranking(current_actor(), period))


@bp.get("/reports/party-units")
@staff_required
def party_units():
    return page_context("reports/party_units.html",
                        report=lambda period, args: service.party_units(current_actor(), period,
                                                                        args.get("community_id")))


def one_unit(period: service.Period, args: dict):
    name = request.args.get("unit", "").strip()
    units = service.party_units(current_actor(), period, args.get("community_id"), name)["units"] if name else []
    if not units:
        raise NotFound(_l("No party members of the work unit %(name)s among the records you manage.", name=name[:64]))
    return units[0]


@bp.get("/reports/party-units/unit")
@staff_required
def party_unit():
    return page_context("reports/party_unit.html", unit=one_unit)


def register(app) -> None:
    """The blueprint and its menu entry (called from ``views.init_app``)."""
    from ..views import STAFF, register_nav

    app.register_blueprint(bp)
    register_nav(app, "report_pages.dashboard", _l("Reports"), STAFF, order=70, active_prefix="report_pages.")
