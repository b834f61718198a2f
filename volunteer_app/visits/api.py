"""REST endpoints of visits (走访) and the 民情日志 (thin: the rules are in the service package)."""
import io

from flask import send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from ..accounts.policy import current_actor
from ..resources import ID_IN_URL, commit, page_schema, register_crud
from . import exports, schemas, service
from ..spreadsheets import XLSX_MIME

blp = Blueprint("visits", __name__, description="走访 and 民情日志: visits to households and buildings, the needs "
                                               "they raise, overdue priority-group visits, 走访覆盖率")

NEED_URL = f"/visits/<{ID_IN_URL}:visit_id>/needs/<{ID_IN_URL}:need_id>"
BINARY = {"type": "string", "format": "binary"}

register_crud(blp, "/visits", service.visits, schemas.VisitSchema, schemas.VisitIn, schemas.VisitQuery,
              schemas.VisitPatch())


@blp.route(f"/visits/<{ID_IN_URL}:visit_id>/needs")
class Needs(MethodView):
    @blp.arguments(schemas.NeedIn)
    @blp.response(201, schemas.NeedSchema)
    def post(self, data, visit_id):
        """Add a need to a visit already recorded"""
        need = service.add_need(current_actor(), visit_id, data)
        commit()
        return need


@blp.route(f"{NEED_URL}/request")
class NeedAsRequest(MethodView):
    @blp.arguments(schemas.RequestFromNeedIn)
    @blp.response(201, schemas.NeedSchema)
    def post(self, data, visit_id, need_id):
        """File a need as a request (工单) for the household or building visited; the need links to it

        409 ``already_passed_on`` when the need already has its request or wish.
        """
        need = service.file_need_as_request(current_actor(), visit_id, need_id, data)
        commit()
        return need


@blp.route(f"{NEED_URL}/wish")
class NeedAsWish(MethodView):
    @blp.arguments(schemas.WishFromNeedIn)
    @blp.response(201, schemas.NeedSchema)
    def post(self, data, visit_id, need_id):
        """Post a need as a wish (微心愿) of the household visited; the need links to it"""
        need = service.post_need_as_wish(current_actor(), visit_id, need_id, data)
        commit()
        return need


@blp.route("/visits/households")
class Households(MethodView):
    @blp.arguments(schemas.HouseholdQuery, location="query")
    @blp.response(200, page_schema(schemas.HouseholdSchema))
    def get(self, args):
        """The households (residents of the register) of your grids with their latest visit, longest unvisited first"""
        return service.households(current_actor(), args)


@blp.route("/visits/overdue")
class Overdue(MethodView):
    @blp.arguments(schemas.OverdueQuery, location="query")
    @blp.response(200, page_schema(schemas.DueVisitSchema))
    def get(self, args):
        """Priority-group residents whose visit is overdue: never visited first, then the longest unvisited"""
        return service.overdue(current_actor(), args)


@blp.route("/visits/report")
class Report(MethodView):
    @blp.arguments(schemas.VisitReportArgs, location="query")
    @blp.response(200, schemas.VisitReportSchema)
    def get(self, args):
        """走访覆盖率 and needs of a month per grid and community; priority-group visits overdue now

        Coverage = households (residents of the register) visited at least once in the month ÷
        households, both under the resident's grid; a building's visit covers no household.
        """
        first = args.get("month") or service.today().replace(day=1)
        start, end = service.month_span(first)
        return service.report(current_actor(), start.date(), end.date(), args.get("community_id"))


@blp.route("/visits/export.xlsx")
class Ledger(MethodView):
    @blp.arguments(schemas.LedgerArgs, location="query")
    @blp.response(200, BINARY, content_type=XLSX_MIME)
    def get(self, args):
        """The 走访台账: your visits (and their needs) as a workbook, oldest first"""
        data = exports.ledger_workbook(current_actor(), args)
        name = f"走访台账-{args['month']:%Y%m}.xlsx" if args.get("month") else "走访台账.xlsx"
        return send_file(io.BytesIO(data), mimetype=XLSX_MIME, as_attachment=True, download_name=name)


@blp.route(f"/communities/<{ID_IN_URL}:community_id>/visit-frequencies")
class Frequencies(MethodView):
    @blp.response(200, schemas.FrequenciesSchema)
    def get(self, community_id):
        """How often each priority group of a community is to be visited (defaults marked)"""
        return {"community_id": community_id,
                "frequencies": service.community_frequencies(current_actor(), community_id)}

    @blp.arguments(schemas.FrequenciesIn)
    @blp.response(200, schemas.FrequenciesSchema)
    def put(self, data, community_id):
        """Set the intervals of the priority groups given; the others stay as they are"""
        frequencies = service.set_frequencies(current_actor(), community_id, data["frequencies"])
        commit()
        return {"community_id": community_id, "frequencies": frequencies}
