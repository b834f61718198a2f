"""REST endpoints of the reports (staff only; thin: the figures are computed in the service package)."""
import io

from flask import send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from ..accounts.policy import current_actor
from . import exports, schemas, service
from ..spreadsheets import XLSX_MIME

blp = Blueprint("reports", __name__, description="数字驾驶舱: figures per community and grid, the 周通报 ranking, "
                                                 "the 双报到 feedback per work unit")

BINARY = {"type": "string", "format": "binary"}


def workbook(data: bytes, name: str):
    return send_file(io.BytesIO(data), mimetype=XLSX_MIME, as_attachment=True, download_name=f"{name}.xlsx")


def _dashboard(args: dict) -> dict:
    return service.dashboard(current_actor(), args["period"], args.get("community_id"))


def _ranking(args: dict) -> dict:
    return service.ranking(current_actor(), args["period"])


def _party_units(args: dict) -> dict:
    return service.party_units(current_actor(), args["period"], args.get("community_id"), args.get("unit"))


@blp.route("/reports/dashboard")
class Dashboard(MethodView):
    @blp.arguments(schemas.DashboardArgs, location="query")
    @blp.response(200, schemas.DashboardSchema)
    def get(self, args):
        """Every figure of the period per community and grid in your scope, their total, and the hours trend"""
        return _dashboard(args)


@blp.route("/reports/dashboard.xlsx")
class DashboardWorkbook(MethodView):
    @blp.arguments(schemas.DashboardArgs, location="query")
    @blp.response(200, BINARY, content_type=XLSX_MIME)
    def get(self, args):
        """The dashboard's figures as a workbook: communities, grids, weekly hours"""
        report = _dashboard(args)
        return workbook(exports.dashboard_workbook(report), f"dashboard-{report['period'].label}")


@blp.route("/reports/ranking")
class Ranking(MethodView):
    @blp.arguments(schemas.PeriodArgs, location="query")
    @blp.response(200, schemas.RankingSchema)
    def get(self, args):
        """周通报: your communities ranked by completion rate, then satisfaction, then on-time rate"""
        return _ranking(args)


@blp.route("/reports/ranking.xlsx")
class RankingWorkbook(MethodView):
    @blp.arguments(schemas.PeriodArgs, location="query")
    @blp.response(200, BINARY, content_type=XLSX_MIME)
    def get(self, args):
        """The 周通报 as a workbook"""
        report = _ranking(args)
        return workbook(exports.ranking_workbook(report), f"ranking-{report['period'].label}")


@blp.route("/reports/party-units")
class PartyUnits(MethodView):
    @blp.arguments(schemas.PartyUnitArgs, location="query")
    @blp.response(200, schemas.PartyUnitsSchema)
    def get(self, args):
        """双报到 feedback: each work unit's in-office party members and their service in the period"""
        return _party_units(args)


@blp.route("/reports/party-units.xlsx")
class PartyUnitsWorkbook(MethodView):
    @blp.arguments(schemas.PartyUnitArgs, location="query")
    @blp.response(200, BINARY, content_type=XLSX_MIME)
    def get(self, args):
        """双报到 feedback as a workbook, one sheet per work unit"""
        report = _party_units(args)
        return workbook(exports.party_units_workbook(report), f"party-units-{report['period'].label}")
