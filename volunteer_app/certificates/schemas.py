"""API shapes of certificates, their decisions and the issuing organisation."""
from marshmallow import Schema, fields, validate

from ..resources import PageArgs
from ..validation import Id, LocalDate
from ..validation import lazy_gettext as _l
from .models import CertificateState
from .service import verify_url

VERSION = {"required": True, "validate": validate.Range(min=1, max=2**31 - 1),
           "metadata": {"description": "version you read; 409 if stale"}}


class CertificateQuery(PageArgs):
    state = fields.Enum(CertificateState)
    community_id = Id()
    volunteer_id = Id()


class CertificateRegisterArgs(Schema):
    community_id = Id()


class CertificateApplyIn(Schema):
    volunteer_id = Id(metadata={"description": "staff only: the volunteer applied for (代办); default yourself"})
    period_start = LocalDate(required=True)
    period_end = LocalDate(required=True, metadata={"description": "inclusive, not after today"})
    purpose = fields.String(load_default="", validate=validate.Length(max=100), metadata={"description": "用途"})


class CertificateDecisionIn(Schema):
    version = fields.Integer(**VERSION)


class CertificateIssueIn(CertificateDecisionIn):
    note = fields.String(load_default="", validate=validate.Length(max=200), metadata={"description": "备注"})


class CertificateReasonIn(CertificateDecisionIn):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class CertificateCorrectIn(CertificateReasonIn):
    period_start = LocalDate(metadata={"description": "the corrected period; default the revoked one's"})
    period_end = LocalDate()
    note = fields.String(load_default="", validate=validate.Length(max=200))


class ServedRecordSchema(Schema):
    date = fields.String()
    content = fields.String()
    minutes = fields.Integer()
    hours = fields.String()


class CertificateFactsSchema(Schema):
    """What the certificate says, frozen at issue."""

    number = fields.String()
    issued_on = fields.String()
    volunteer = fields.Dict(metadata={"description": "name, id_type, id_number (masked), number"})
    period = fields.Dict(metadata={"description": "start, end (inclusive)"})
    total_minutes = fields.Integer()
    total_hours = fields.String()
    records = fields.List(fields.Nested(ServedRecordSchema))
    issuer = fields.Dict(metadata={"description": "name, person_in_charge, contact"})
    handler = fields.String()
    note = fields.String()
    replaces = fields.String(allow_none=True, metadata={"description": "the number this one corrects"})


class CertificateSchema(Schema):
    id = fields.Integer()
    version = fields.Integer()
    community_id = fields.Integer()
    volunteer_id = fields.Integer(allow_none=True)
    period_start = fields.Date()
    period_end = fields.Date()
    purpose = fields.String()
    state = fields.Enum(CertificateState)
    applied_at = fields.DateTime()
    accepted_at = fields.DateTime(allow_none=True)
    rejection_reason = fields.String()
    number = fields.String(allow_none=True)
    issued_on = fields.Date(allow_none=True)
    facts = fields.Nested(CertificateFactsSchema, allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    revoke_reason = fields.String()
    replaced_by_number = fields.Function(lambda c: c.replaced_by.number if c.replaced_by else None,
                                         metadata={"description": "the certificate that corrected this one"})
    verify_url = fields.Method("_verify_url", metadata={"description": "the public verification page (QR code)"})

    def _verify_url(self, record):
        return verify_url(record.number) if record.number else None


class CertificateIssuerIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100),
                         metadata={"description": "出具单位, e.g. 维北社区居民委员会"})
    person_in_charge = fields.String(required=True, validate=validate.Length(min=1, max=32))
    contact = fields.String(required=True, validate=validate.Length(min=1, max=64))
    prefix = fields.String(required=True, validate=validate.Regexp(r"^[A-Z0-9]{1,12}$", error=_l(
        "Capital letters and digits, at most 12.")),
                           metadata={"description": "of the numbers (WB → WB-000001): capitals and digits"})
    version = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))


class CertificateIssuerSchema(Schema):
    community_id = fields.Integer()
    name = fields.String()
    person_in_charge = fields.String()
    contact = fields.String()
    prefix = fields.String()
    last_sequence = fields.Integer()
    version = fields.Integer()
