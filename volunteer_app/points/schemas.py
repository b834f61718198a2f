"""API shapes of points accounts, statements, rules, the catalogue, orders and gifts.

Points are whole numbers: ``Points`` is a strict integer, so 1.5, "3" and
true are refused with the field named, as are zero and negative amounts.
"""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..resources import PageArgs
from ..validation import CODE, HourMinute, Id, Month, Name
from ..validation import lazy_gettext as _l
from .models import AccountKind, Approval, EarningStatus, ItemKind, PartnerKind, RedemptionStatus, TransferKind

MAX_POINTS = 1_000_000
IDEMPOTENCY_KEY = validate.Regexp(r"^[A-Za-z0-9_.:-]{8,64}$",
                                  error=_l("Use 8 to 64 letters, digits or '_', '.', ':', '-' (a UUID is fine)."))


def Points(minimum: int = 1, **kwargs):
    return fields.Integer(strict=True, validate=validate.Range(min=minimum, max=MAX_POINTS), **kwargs)


def Percent(**kwargs):
    return fields.Integer(strict=True, validate=validate.Range(min=100, max=1000),
                          metadata={"description": "multiplier in percent: 150 = ×1.5"}, **kwargs)


def Reason(minimum: int = 0, **kwargs):
    return fields.String(validate=validate.Length(min=minimum, max=200), **kwargs)


# --- accounts and statements ------------------------------------------------------------


class AccountSchema(Schema):
    id = fields.Integer()
    kind = fields.Enum(AccountKind)
    community_id = fields.Integer()
    name = fields.String(attribute="holder_name", metadata={"description": "a community's accounts say which"})
    balance = fields.Integer(metadata={"description": "equals the sum of the account's entries"})
    volunteer_id = fields.Integer(allow_none=True)
    resident_id = fields.Integer(allow_none=True)
    partner_id = fields.Integer(allow_none=True)


class AccountQuery(PageArgs):
    community_id = Id()
    kind = fields.Enum(AccountKind)


def _counterparty(entry):
    transfer = entry.transfer
    return transfer.to_account if entry.amount < 0 else transfer.from_account


class StatementLineSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime(attribute="created_at")
    transfer_id = fields.Integer()
    kind = fields.Function(lambda e: e.transfer.kind.value, metadata={"enum": [k.value for k in TransferKind]})
    memo = fields.Function(lambda e: e.transfer.memo_text)
    reverses_id = fields.Function(lambda e: e.transfer.reverses_id, allow_none=True)
    amount = fields.Integer(metadata={"description": "+ in, − out"})
    balance_after = fields.Integer(metadata={"description": "running balance after this line"})
    counterparty_account_id = fields.Function(lambda e: _counterparty(e).id)
    counterparty = fields.Function(lambda e: _counterparty(e).holder_name)


class TransferSchema(Schema):
    id = fields.Integer()
    kind = fields.Enum(TransferKind)
    amount = fields.Integer()
    from_account_id = fields.Integer()
    from_name = fields.Function(lambda t: t.from_account.holder_name)
    to_account_id = fields.Integer()
    to_name = fields.Function(lambda t: t.to_account.holder_name)
    community_id = fields.Integer()
    reverses_id = fields.Integer(allow_none=True)
    memo = fields.String(attribute="memo_text")
    details = fields.Dict()
    created_by_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class ReasonIn(Schema):
    reason = Reason(load_default="")


class CorrectionIn(Schema):
    reason = Reason(minimum=1, required=True)


# --- earning rules and earnings ------------------------------------------------------------


class EarningRuleIn(Schema):
    community_id = Id(required=True)
    default_rate = fields.Integer(strict=True, validate=validate.Range(min=0, max=1000),
                                  metadata={"description": "points per hour for a service type without its own rate"})
    rates = fields.Dict(keys=fields.String(validate=CODE),
                        values=fields.Integer(strict=True, validate=validate.Range(min=0, max=1000)),
                        validate=validate.Length(max=50),
                        metadata={"description": "points per hour by service type: a skill code, 'shift' or 'task'"})
    evening_from = HourMinute(metadata={
        "description": "service starting at or after this (or before 06:00) is evening"})
    evening_percent = Percent()
    holiday_percent = Percent()
    callout_percent = Percent()
    weekly_cap = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=MAX_POINTS),
                                metadata={"description": "most points a volunteer earns per ISO week; null: no cap"})
    approval = fields.Enum(Approval, metadata={"description": "auto, or each earning waits for a coordinator"})
    gifts_enabled = fields.Boolean()
    gift_priority_only = fields.Boolean(metadata={"description": "gifts only to residents in a priority group"})
    gift_max_per_transfer = Points()
    gift_max_per_month = Points()
    cross_community = fields.Boolean(metadata={
        "description": "points may be redeemed with partners of other communities that allow it too"})


class EarningRuleSchema(EarningRuleIn):
    id = fields.Integer(dump_only=True)
    version = fields.Integer(dump_only=True)


class EarningRuleQuery(PageArgs):
    community_id = Id()


class EarningSchema(Schema):
    id = fields.Integer()
    source_kind = fields.String()
    source_id = fields.Integer()
    volunteer_id = fields.Integer(allow_none=True)
    community_id = fields.Integer()
    at = fields.DateTime()
    minutes = fields.Integer()
    service_type = fields.String(allow_none=True)
    flags = fields.List(fields.String())
    rate = fields.Integer()
    percent = fields.Integer()
    base_points = fields.Integer(metadata={"description": "before the weekly cap"})
    points = fields.Integer(metadata={"description": "posted"})
    status = fields.Enum(EarningStatus)
    transfer_id = fields.Integer(allow_none=True)
    reason = fields.String(attribute="reason_text")
    version = fields.Integer()


class EarningQuery(PageArgs):
    community_id = Id()
    volunteer_id = Id()
    status = fields.Enum(EarningStatus)


# --- partners and catalogue ----------------------------------------------------------------


class PartnerIn(Schema):
    community_id = Id(required=True)
    name = Name(required=True)
    kind = fields.Enum(PartnerKind, required=True)
    contact_name = fields.String(validate=validate.Length(max=32))
    active = fields.Boolean()


class PartnerSchema(PartnerIn):
    id = fields.Integer(dump_only=True)
    version = fields.Integer(dump_only=True)


class PartnerQuery(PageArgs):
    community_id = Id()
    kind = fields.Enum(PartnerKind)
    active = fields.Boolean()


class ItemIn(Schema):
    partner_id = Id(required=True)
    name = Name(required=True)
    kind = fields.Enum(ItemKind, required=True)
    price = Points(required=True, metadata={"description": "points per unit"})
    stock = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=MAX_POINTS),
                           metadata={"description": "units left; required for goods, null = unlimited"})
    face_value_fen = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=100_000_000),
                                    metadata={"description": "fee_discount only: the fixed amount off, in fen"})
    description = fields.String(validate=validate.Length(max=256))
    active = fields.Boolean()


class ItemSchema(ItemIn):
    id = fields.Integer(dump_only=True)
    community_id = fields.Integer(dump_only=True)
    partner_name = fields.Function(lambda i: i.partner.name, dump_only=True)
    version = fields.Integer(dump_only=True)


class ItemQuery(PageArgs):
    community_id = Id()
    partner_id = Id()
    kind = fields.Enum(ItemKind)
    active = fields.Boolean()


# --- redemptions ------------------------------------------------------------------------------


class RedemptionIn(Schema):
    item_id = Id(required=True)
    quantity = fields.Integer(strict=True, load_default=1, validate=validate.Range(min=1, max=100))
    account_id = Id(metadata={"description": "coordinators: whose points pay (a volunteer or resident account)"})
    idempotency_key = fields.String(validate=IDEMPOTENCY_KEY, metadata={
        "description": "or the Idempotency-Key header: a retry with the same key returns the first order"})
    note = fields.String(load_default="", validate=validate.Length(max=200))


class IdempotencyHeader(Schema):
    idempotency_key = fields.String(data_key="Idempotency-Key", validate=IDEMPOTENCY_KEY)


class RedemptionSchema(Schema):
    id = fields.Integer()
    account_id = fields.Integer()
    account_name = fields.Function(lambda r: r.account.name)
    payer_community_id = fields.Integer()
    item_id = fields.Integer()
    item_name = fields.Function(lambda r: r.item.name)
    partner_id = fields.Integer()
    partner_name = fields.Function(lambda r: r.partner.name)
    community_id = fields.Integer()
    idempotency_key = fields.String()
    quantity = fields.Integer()
    unit_price = fields.Integer()
    points = fields.Integer()
    status = fields.Enum(RedemptionStatus)
    note = fields.String()
    reason = fields.String()
    hold_transfer_id = fields.Integer(allow_none=True)
    settle_transfer_id = fields.Integer(allow_none=True)
    refund_transfer_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    fulfilled_at = fields.DateTime(allow_none=True)
    version = fields.Integer()


class RedemptionQuery(PageArgs):
    status = fields.Enum(RedemptionStatus)
    partner_id = Id()
    account_id = Id()
    community_id = Id()


# --- gifts and grants ---------------------------------------------------------------------------


class GiftIn(Schema):
    amount = Points(required=True)
    resident_id = Id(metadata={"description": "a resident in difficulty in your community"})
    to_pool = fields.Boolean(load_default=False, metadata={"description": "give to your community's pool instead"})
    memo = fields.String(load_default="", validate=validate.Length(max=200))

    @validates_schema
    def one_recipient(self, data, **kwargs):
        if bool(data.get("resident_id")) == bool(data.get("to_pool")):
            raise ValidationError(_l("Choose a resident or the community pool."), "resident_id")


class GrantIn(Schema):
    community_id = Id(required=True)
    amount = Points(required=True)
    resident_id = Id()
    volunteer_id = Id()
    memo = fields.String(load_default="", validate=validate.Length(max=200))

    @validates_schema
    def one_recipient(self, data, **kwargs):
        if (data.get("resident_id") is None) == (data.get("volunteer_id") is None):
            raise ValidationError(_l("Choose one resident or one volunteer."), "resident_id")


# --- reports ----------------------------------------------------------------------------------------


class MonthRange(Schema):
    from_month = Month(metadata={"description": "YYYY-MM; default January of this year"})
    to_month = Month(metadata={"description": "YYYY-MM; default this month"})

    @validates_schema
    def ordered(self, data, **kwargs):
        if data.get("from_month") and data.get("to_month") and data["to_month"] < data["from_month"]:
            raise ValidationError(_l("The last month must not be before the first."), "to_month")


class ExportFormat(Schema):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(["xlsx", "csv"]))


class SettlementExportArgs(MonthRange, ExportFormat):
    pass


class SettlementLine(Schema):
    item_id = fields.Integer()
    item_name = fields.String()
    kind = fields.String()
    unit_price = fields.Integer()
    orders = fields.Integer()
    quantity = fields.Integer()
    points = fields.Integer()


class SettlementMonth(Schema):
    month = fields.String()
    orders = fields.Integer()
    quantity = fields.Integer()
    points = fields.Integer()
    lines = fields.List(fields.Nested(SettlementLine))


class SettlementSchema(Schema):
    partner_id = fields.Integer()
    partner_name = fields.String()
    community_id = fields.Integer()
    from_month = fields.String()
    to_month = fields.String()
    months = fields.List(fields.Nested(SettlementMonth))
    total_orders = fields.Integer()
    total_points = fields.Integer()
