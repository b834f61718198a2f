"""REST endpoints for accounts, API tokens, login QR codes and the audit log."""
from flask.views import MethodView
from flask_smorest import Blueprint

from ..accounts.policy import current_actor
from ..resources import ID_IN_URL, commit, paginate, page_schema, register_crud, update_schema_for
from . import phone_login, schemas, service

blp = Blueprint("accounts", __name__, description="Users, API tokens, audit log")

register_crud(blp, "/users", service.users, schemas.UserSchema, schemas.UserIn, schemas.UserQuery,
              update_schema_for(schemas.UserIn))


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, schemas.UserSchema)
    def get(self):
        """The calling user, with role and scope"""
        return current_actor().user


@blp.route("/tokens")
class Tokens(MethodView):
    @blp.response(200, schemas.TokenSchema(many=True))
    def get(self):
        """Your API tokens (never the secrets)"""
        return service.my_tokens(current_actor())

    @blp.arguments(schemas.TokenIn)
    @blp.response(201, schemas.NewTokenSchema)
    def post(self, data):
        """Create a token for yourself; the secret is in this response only"""
        plain, record = service.issue_token(current_actor(), data["name"], data["days"])
        commit()
        record.token = plain  # transient: dumped in this response, never stored
        return record


@blp.route(f"/tokens/<{ID_IN_URL}:token_id>")
class TokenItem(MethodView):
    @blp.response(204)
    def delete(self, token_id):
        """Revoke a token (your own; admins any)"""
        service.withdraw_token(current_actor(), token_id)
        commit()


@blp.route("/login-links")
class LoginLinks(MethodView):
    @blp.arguments(schemas.LoginLinkIn)
    @blp.response(201, schemas.LoginLinkSchema)
    def post(self, data):
        """A one-time login (QR code) for a resident or volunteer you manage; its URL is in this response only"""
        plain, link = phone_login.create_login_qr(current_actor(), data["user_id"])
        commit()
        link.url = phone_login.qr_login_url(plain)  # transient: dumped in this response, never stored
        return link


@blp.route("/audit")
class Audit(MethodView):
    @blp.arguments(schemas.AuditQuery, location="query")
    @blp.response(200, page_schema(schemas.AuditSchema))
    def get(self, args):
        """Who created, changed or deleted which record (admins)"""
        return paginate(service.audit_query(current_actor(), args), args["page"], args["per_page"])
