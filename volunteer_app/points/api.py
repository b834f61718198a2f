"""REST endpoints of points and exchange (thin: the rules are in service.py, the ledger in ledger.py)."""
import io
from datetime import date

from flask import send_file
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint

from ..accounts.policy import current_actor
from ..errors import InvalidInput
from ..resources import ID_IN_URL, PageArgs, commit, page_schema, paginate, register_crud, update_schema_for
from . import exports, schemas, service
from ..spreadsheets import CSV_MIME, XLSX_MIME

blp = Blueprint("points", __name__, description="积分兑换: points ledger, earning rules, catalogue, redemptions, gifts")

for url, svc, out, inp, query in (
    ("/points/rules", service.rules, schemas.EarningRuleSchema, schemas.EarningRuleIn, schemas.EarningRuleQuery),
    ("/points/partners", service.partners, schemas.PartnerSchema, schemas.PartnerIn, schemas.PartnerQuery),
    ("/points/items", service.items, schemas.ItemSchema, schemas.ItemIn, schemas.ItemQuery),
):
    register_crud(blp, url, svc, out, inp, query, update_schema_for(inp))

BINARY = {"type": "string", "format": "binary"}


def download(data: bytes, file_format: str, name: str):
    mimetype = XLSX_MIME if file_format == "xlsx" else CSV_MIME
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=f"{name}.{file_format}")


# --- accounts and statements ----------------------------------------------------------------


@blp.route("/points/accounts")
class Accounts(MethodView):
    @blp.arguments(schemas.AccountQuery, location="query")
    @blp.response(200, page_schema(schemas.AccountSchema))
    def get(self, args):
        """Points accounts and balances: coordinators see their communities, others their own"""
        return paginate(service.accounts_query(current_actor(), args), args["page"], args["per_page"])


@blp.route(f"/points/accounts/<{ID_IN_URL}:account_id>")
class Account(MethodView):
    @blp.response(200, schemas.AccountSchema)
    def get(self, account_id):
        """One account and its balance (always equal to the sum of its entries)"""
        return service.get_account(current_actor(), account_id)


@blp.route("/points/my-account")
class MyAccount(MethodView):
    @blp.response(200, schemas.AccountSchema)
    def get(self):
        """Your own points account (volunteers and residents), opened on first use"""
        account = service.own_account(current_actor())
        commit()
        return account


@blp.route(f"/points/accounts/<{ID_IN_URL}:account_id>/statement")
class Statement(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(schemas.StatementLineSchema))
    def get(self, args, account_id):
        """The account's history, newest first, with the running balance after each line"""
        actor = current_actor()
        account = service.get_account(actor, account_id)
        return paginate(service.statement_query(actor, account), args["page"], args["per_page"])


@blp.route(f"/points/accounts/<{ID_IN_URL}:account_id>/statement/export")
class StatementExport(MethodView):
    @blp.arguments(schemas.ExportFormat, location="query")
    @blp.response(200, BINARY, content_type=XLSX_MIME, description="format=csv: UTF-8 CSV with BOM")
    def get(self, args, account_id):
        """The whole statement as a workbook or CSV, oldest first"""
        actor = current_actor()
        account = service.get_account(actor, account_id)
        return download(exports.statement_file(actor, account, args["format"]), args["format"],
                        f"statement-{account.id}")


# --- transfers: gifts, grants, corrections --------------------------------------------------------


@blp.route("/points/gifts")
class Gifts(MethodView):
    @blp.arguments(schemas.GiftIn)
    @blp.response(201, schemas.TransferSchema)
    def post(self, data):
        """Give some of your points to a resident in difficulty or to your community's pool"""
        actor = current_actor()
        transfer = service.gift(actor, service.own_account(actor), data["amount"], data.get("resident_id"),
                                data["to_pool"], data["memo"])
        commit()
        return transfer


@blp.route("/points/grants")
class Grants(MethodView):
    @blp.arguments(schemas.GrantIn)
    @blp.response(201, schemas.TransferSchema)
    def post(self, data):
        """Give points from the community pool to one of its residents or volunteers (coordinators)"""
        transfer = service.grant(current_actor(), data["community_id"], data["amount"], data.get("resident_id"),
                                 data.get("volunteer_id"), data["memo"])
        commit()
        return transfer


@blp.route(f"/points/transfers/<{ID_IN_URL}:transfer_id>")
class TransferItem(MethodView):
    @blp.response(200, schemas.TransferSchema)
    def get(self, transfer_id):
        """One transfer (its two entries always sum to zero)"""
        return service.get_transfer(current_actor(), transfer_id)


@blp.route(f"/points/transfers/<{ID_IN_URL}:transfer_id>/reverse")
class TransferReversal(MethodView):
    @blp.arguments(schemas.CorrectionIn)
    @blp.response(201, schemas.TransferSchema)
    def post(self, data, transfer_id):
        """Correct a gift, grant or earning with a reversing transfer that points to it (coordinators)"""
        reversal = service.correct(current_actor(), transfer_id, data["reason"])
        commit()
        return reversal


# --- earnings -------------------------------------------------------------------------------------


@blp.route("/points/earnings")
class Earnings(MethodView):
    @blp.arguments(schemas.EarningQuery, location="query")
    @blp.response(200, page_schema(schemas.EarningSchema))
    def get(self, args):
        """Points earned for service, newest first (status=pending: waiting for approval)"""
        return paginate(service.earnings_query(current_actor(), args), args["page"], args["per_page"])


@blp.route(f"/points/earnings/<{ID_IN_URL}:earning_id>/approve")
class EarningApproval(MethodView):
    @blp.response(200, schemas.EarningSchema)
    def post(self, earning_id):
        """Approve a pending earning: its points are posted (weekly cap applied now)"""
        earning = service.approve_earning(current_actor(), earning_id)
        commit()
        return earning


@blp.route(f"/points/earnings/<{ID_IN_URL}:earning_id>/reject")
class EarningRejection(MethodView):
    @blp.arguments(schemas.ReasonIn)
    @blp.response(200, schemas.EarningSchema)
    def post(self, data, earning_id):
        """Reject a pending earning, saying why"""
        earning = service.reject_earning(current_actor(), earning_id, data["reason"])
        commit()
        return earning


# --- redemptions ---------------------------------------------------------------------------------------


@blp.route("/points/redemptions")
class Redemptions(MethodView):
    @blp.arguments(schemas.RedemptionQuery, location="query")
    @blp.response(200, page_schema(schemas.RedemptionSchema))
    def get(self, args):
        """Orders: the partners' community and the payer's community see them, and the payer"""
        return paginate(service.redemptions_query(current_actor(), args), args["page"], args["per_page"])

    @blp.arguments(schemas.RedemptionIn)
    @blp.arguments(schemas.IdempotencyHeader, location="headers", as_kwargs=True)
    @blp.response(201, schemas.RedemptionSchema)
    @blp.alt_response(200, schema=schemas.RedemptionSchema,
                      description="A retry with a known idempotency key: the first order, nothing redeemed again")
    def post(self, data, idempotency_key=None):
        """Redeem an item: the points are held at once and returned if the order is rejected or cancelled

        Send an ``Idempotency-Key`` header (or ``idempotency_key`` field): a retry
        with the same key returns the first order instead of redeeming twice.
        """
        body_key = data.get("idempotency_key")
        if idempotency_key and body_key and idempotency_key != body_key:
            raise InvalidInput(_l("Two different idempotency keys."),
                               {"idempotency_key": [_l("Differs from the Idempotency-Key header.")]},
                               code="idempotency_keys_differ")
        key = idempotency_key or body_key
        if not key:
            raise InvalidInput(_l("An idempotency key is required."),
                               {"idempotency_key": [_l("Send the Idempotency-Key header or this field.")]},
                               code="idempotency_key_required")
        actor = current_actor()
        payer = service.payer_account(actor, data.get("account_id"))
        order, created = service.redeem(actor, payer, data["item_id"], data["quantity"], key, data["note"])
        commit()
        return order, 201 if created else 200


@blp.route(f"/points/redemptions/<{ID_IN_URL}:order_id>")
class RedemptionItem(MethodView):
    @blp.response(200, schemas.RedemptionSchema)
    def get(self, order_id):
        """One order"""
        return service.get_redemption(current_actor(), order_id)


@blp.route(f"/points/redemptions/<{ID_IN_URL}:order_id>/<any(approve, fulfil, reject, cancel):action>")
class RedemptionAction(MethodView):
    @blp.arguments(schemas.ReasonIn)
    @blp.response(200, schemas.RedemptionSchema)
    def post(self, data, order_id, action):
        """approve, fulfil (points go to the partner), reject (with a reason) or cancel (points come back)

        409 when the order's status does not allow the action.
        """
        actor = current_actor()
        order = service.get_redemption(actor, order_id)
        service.change_status(actor, order, action, data["reason"])
        commit()
        return order


# --- partner settlement -----------------------------------------------------------------------------------


def _settlement(args: dict, partner_id: int) -> dict:
    first, last = service.this_year_months(date.today())
    from_month, to_month = args.get("from_month", first), args.get("to_month", last)
    if to_month < from_month:
        raise InvalidInput(_l("The last month must not be before the first."),
                           {"query.to_month": [_l("The last month must not be before the first.")]},
                           code="empty_month_range")
    return service.settlement(current_actor(), partner_id, from_month, to_month)


@blp.route(f"/points/partners/<{ID_IN_URL}:partner_id>/settlement")
class Settlement(MethodView):
    @blp.arguments(schemas.MonthRange, location="query")
    @blp.response(200, schemas.SettlementSchema)
    def get(self, args, partner_id):
        """What was redeemed with a partner (fulfilled orders), per month and item"""
        return _settlement(args, partner_id)


@blp.route(f"/points/partners/<{ID_IN_URL}:partner_id>/settlement/export")
class SettlementExport(MethodView):
    @blp.arguments(schemas.SettlementExportArgs, location="query")
    @blp.response(200, BINARY, content_type=XLSX_MIME, description="format=csv: UTF-8 CSV with BOM")
    def get(self, args, partner_id):
        """The settlement report as a workbook or CSV, with monthly subtotals"""
        report = _settlement(args, partner_id)
        return download(exports.settlement_file(report, args["format"]), args["format"],
                        f"settlement-{partner_id}-{report['from_month']}-{report['to_month']}")
