"""API shapes of users, tokens and the audit log."""
from marshmallow import Schema, fields, validate

from ..pii import MaskedPhone
from ..resources import PageArgs
from ..validation import Id, validate_mobile
from ..accounts.models import Role


class ScopeSchema(Schema):
    community_id = Id(allow_none=True)
    grid_id = Id(allow_none=True)


class UserIn(Schema):
    username = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]{3,64}$"))
    display_name = fields.String(validate=validate.Length(min=1, max=64))
    password = fields.String(load_only=True, validate=validate.Length(min=8, max=128))
    role = fields.Enum(Role, required=True)
    can_view_pii = fields.Boolean()
    active = fields.Boolean()
    community_ids = fields.List(Id(), metadata={"description": "coordinator scope: whole communities"})
    grid_ids = fields.List(Id(), metadata={"description": "coordinator scope: single grids"})
    volunteer_id = Id(allow_none=True)
    resident_id = Id(allow_none=True)
    phone = fields.String(allow_none=True, validate=validate_mobile, metadata={
        "description": "a staff account's mobile, for SMS (residents' and volunteers' numbers are on their records)"})


class UserSchema(UserIn):
    id = fields.Integer(dump_only=True)
    phone = MaskedPhone(allow_none=True, metadata={"description": "masked unless you may see personal information"})
    version = fields.Integer(dump_only=True)
    last_login_at = fields.DateTime(dump_only=True)
    community_ids = fields.Function(lambda u: [s.community_id for s in u.scopes if s.community_id])
    grid_ids = fields.Function(lambda u: [s.grid_id for s in u.scopes if s.grid_id])


class UserQuery(PageArgs):
    role = fields.Enum(Role)
    q = fields.String(validate=validate.Length(max=64))


class TokenIn(Schema):
    name = fields.String(load_default="default", validate=validate.Length(min=1, max=64))
    days = fields.Integer(load_default=365, allow_none=True, validate=validate.Range(min=1, max=3650),
                          metadata={"description": "days until it expires; null for never"})


class TokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String(metadata={"description": "first characters, to recognise it"})
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class NewTokenSchema(TokenSchema):
    token = fields.String(metadata={"description": "the secret; shown only in this response"})


class LoginLinkIn(Schema):
    user_id = Id(required=True, metadata={"description": "the resident's or volunteer's account"})


class LoginLinkSchema(Schema):
    id = fields.Integer()
    user_id = Id()
    expires_at = fields.DateTime()
    url = fields.String(metadata={"description": "opens the one-tap login page; works once, until expires_at"})


class AuditSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    user_id = Id(allow_none=True)
    action = fields.String()
    entity = fields.String()
    entity_id = fields.String()
    changes = fields.Dict()


class AuditQuery(PageArgs):
    action = fields.String(validate=validate.Length(max=8), metadata={
        "description": "create, update, delete, or reveal (full phone numbers shown on a page or exported: "
                       "changes name the purpose and page)"})
    entity = fields.String(validate=validate.Length(max=64))
    entity_id = fields.String(validate=validate.Length(max=64))
    user_id = Id()
