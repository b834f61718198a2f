"""The in-app inbox, each person's channels, the group robots and the outbox over the API."""
from flask.views import MethodView
from flask_smorest import Blueprint

from ..accounts.policy import current_actor
from ..resources import ID_IN_URL, PageArgs, commit, page_schema, paginate
from . import service, webhooks
from .schemas import (
    ChannelsOut, ChannelsSchema, InboxQuery, NotificationSchema, OutboxQuery, OutboxSchema, ReadIn, ReadOut, WebhookPatch,
    WebhookSchema,
)

blp = Blueprint("notifications", __name__, description="Inbox, channels, group robots and the outbox")


@blp.route("/notifications")
class Inbox(MethodView):
    @blp.arguments(InboxQuery, location="query")
    @blp.response(200, page_schema(NotificationSchema))
    def get(self, args):
        """Your notifications, newest first"""
        return paginate(service.inbox(current_actor(), args["unread"]), args["page"], args["per_page"])


@blp.route("/notifications/read")
class MarkRead(MethodView):
    @blp.arguments(ReadIn)
    @blp.response(200, ReadOut)
    def post(self, data):
        """Mark some of your notifications as read"""
        marked = service.mark_read(current_actor(), data["ids"])
        commit()
        return {"marked": marked}


# --- outside channels ----------------------------------------------------------------------


@blp.route("/me/notify-channels")
class MyChannels(MethodView):
    @blp.response(200, ChannelsOut)
    def get(self):
        """The outside channels you get messages on (the inbox always has them too)"""
        me = current_actor().user
        return {"channels": list(service.chosen_channels(me)), "email": me.email, "phone": service.phone_of(me),
                "configured": [c.name for c in service.configured_channels()]}

    @blp.arguments(ChannelsSchema)
    @blp.response(200, ChannelsOut)
    def put(self, data):
        """Choose your channels: sms, wecom (your grid's work group), email; [] keeps messages in the inbox"""
        service.choose_channels(current_actor(), data["channels"], data["email"], data.get("phone", service.KEEP))
        commit()
        return self.get()


@blp.route("/group-webhooks")
class GroupWebhooks(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(WebhookSchema))
    def get(self, args):
        """The 企业微信 group robots of your communities and grids"""
        return paginate(webhooks.in_scope(current_actor()), args["page"], args["per_page"])

    @blp.arguments(WebhookSchema)
    @blp.response(201, WebhookSchema)
    def post(self, data):
        """Add the group robot of a community (no grid) or of one grid"""
        hook = webhooks.create(current_actor(), data["community_id"], data["grid_id"], data["url"], data["label"])
        commit()
        return hook


@blp.route(f"/group-webhooks/<{ID_IN_URL}:webhook_id>")
class GroupWebhookItem(MethodView):
    @blp.arguments(WebhookPatch)
    @blp.response(200, WebhookSchema)
    def patch(self, data, webhook_id):
        """Change a group robot's URL (clears its invalid-key flag) or label"""
        hook = webhooks.update(current_actor(), webhook_id, data)
        commit()
        return hook

    @blp.response(204)
    def delete(self, webhook_id):
        webhooks.delete(current_actor(), webhook_id)
        commit()


@blp.route("/outbox")
class Outbox(MethodView):
    @blp.arguments(OutboxQuery, location="query")
    @blp.response(200, page_schema(OutboxSchema))
    def get(self, args):
        """Messages to outside channels in your scope, newest first: channel, attempts, last error, delivered time;
        ``status=undelivered``: failed ones the person got no other way"""
        return paginate(service.outbox_in_scope(current_actor(), args.get("status")), args["page"], args["per_page"])


@blp.route(f"/outbox/<{ID_IN_URL}:message_id>/retry")
class OutboxRetry(MethodView):
    @blp.response(200, OutboxSchema)
    def post(self, message_id):
        """Try a failed message again from its first attempt (after fixing a number or a webhook)"""
        message = service.retry(current_actor(), message_id)
        commit()
        return message
