"""What the notifications API and pages read and write."""
from marshmallow import Schema, fields, validate

from ..resources import PageArgs
from ..validation import Id, validate_mobile
from . import service, webhooks


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String(attribute="shown_title", metadata={"description": "in the client's language"})
    body = fields.String(attribute="shown_body")
    link = fields.String()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class InboxQuery(PageArgs):
    unread = fields.Boolean(load_default=False)


class ReadIn(Schema):
    ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=500))


class ReadOut(Schema):
    marked = fields.Integer()


class ChannelsSchema(Schema):
    channels = fields.List(fields.String(validate=validate.OneOf(service.CHOOSABLE)), required=True,
                           validate=validate.Length(max=len(service.CHOOSABLE)))
    email = fields.Email(allow_none=True, load_default=None, validate=validate.Length(max=254))
    phone = fields.String(allow_none=True, validate=validate_mobile, metadata={
        "description": "staff only: your mobile for SMS (null removes it; left out, it stays); residents' and "
                       "volunteers' numbers are on their records"})


class ChannelsOut(ChannelsSchema):
    configured = fields.List(fields.String())
    phone = fields.String(allow_none=True, metadata={"description": "the mobile SMS reaches you on: your own"})


class WebhookSchema(Schema):
    id = fields.Integer(dump_only=True)
    community_id = Id(required=True)
    grid_id = Id(allow_none=True, load_default=None)
    url = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=300))
    masked_url = fields.Function(lambda hook: webhooks.masked_url(hook.url), dump_only=True)
    label = fields.String(load_default="", validate=validate.Length(max=64))
    broken_at = fields.DateTime(dump_only=True, allow_none=True)
    last_error = fields.String(dump_only=True)


class WebhookPatch(Schema):
    url = fields.String(validate=validate.Length(min=1, max=300))
    label = fields.String(validate=validate.Length(max=64))


class OutboxSchema(Schema):
    id = fields.Integer()
    channel = fields.String()
    kind = fields.String()
    subject = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String()
    next_attempt_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    serial_no = fields.String(allow_none=True, metadata={"description": "the SMS provider's id (SerialNo)"})
    receipt = fields.String(allow_none=True, metadata={
        "description": "SMS delivery receipt: null (none yet), delivered, or failed (then status is failed too)"})
    receipt_text = fields.String(metadata={"description": "the operator's status text (DELIVRD, an error code …)"})
    receipt_at = fields.DateTime(allow_none=True, metadata={"description": "when the phone received it"})


class OutboxQuery(PageArgs):
    status = fields.String(validate=validate.OneOf(("pending", "sent", "failed", "inbox", "undelivered")))
