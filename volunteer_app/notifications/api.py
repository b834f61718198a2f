"""The in-app inbox over the API."""
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..resources import PageArgs, commit, page_schema, paginate
from ..validation import Id
from . import service

blp = Blueprint("notifications", __name__, description="In-app inbox")


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    link = fields.String()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class InboxQuery(PageArgs):
    unread = fields.Boolean(load_default=False)


class ReadIn(Schema):
    ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=500))


class ReadOut(Schema):
    marked = fields.Integer()


@blp.route("/notifications")
class Inbox(MethodView):
    @blp.arguments(InboxQuery, location="query")
    @blp.response(200, page_schema(NotificationSchema))
    def get(self, args):
        """Your notifications, newest first"""
        return paginate(service.inbox(current_user, args["unread"]), args["page"], args["per_page"])


@blp.route("/notifications/read")
class MarkRead(MethodView):
    @blp.arguments(ReadIn)
    @blp.response(200, ReadOut)
    def post(self, data):
        """Mark some of your notifications as read"""
        marked = service.mark_read(current_user, data["ids"])
        commit()
        return {"marked": marked}
