"""企业微信 group robots (群机器人): a message lands in the work group of a community or grid.

A group message (``post_to_group``) is sent as markdown; a person's own
message (they chose 企业微信 on their profile) goes to their grid's group as
text that @-mentions their mobile. WeCom takes 20 messages a minute per
robot: more wait their turn (``WECOM_PER_MINUTE``), none is dropped.
Errcode 45009 is WeCom's own rate limit (try later); 93000 means the key is
no longer valid: the webhook is flagged for its coordinators and its
messages fail.
"""
import json
from datetime import timedelta

from flask import current_app

from ..accounts.models import User
from ..extensions import db
from ..models_base import utcnow
from .http import ProviderError, post_json
from .models import GroupWebhook, OutboxMessage
from .service import RetryLater, Undeliverable, phone_of, place_of, sent_since, webhook_for

RATE_LIMITED, INVALID_KEY = 45009, 93000
TEXT_LIMIT, MARKDOWN_LIMIT = 2048, 4096  # bytes of content WeCom accepts


def clip(text: str, limit: int) -> str:
    """At most ``limit`` UTF-8 bytes, cut on a character boundary."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def full_link(link: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    return f"{base}{link}" if link.startswith("/") and base else ""


def payload(message: OutboxMessage, user: User | None) -> dict:
    link = full_link(message.link)
    if user is None:
        lines = [f"**{message.subject}**", message.body] + ([f"[查看详情]({link})"] if link else [])
        return {"msgtype": "markdown",
                "markdown": {"content": clip("\n".join(line for line in lines if line), MARKDOWN_LIMIT)}}
    text = {"content": clip("\n".join(part for part in (message.subject, message.body, link) if part), TEXT_LIMIT)}
    phone = phone_of(user)
    if phone:
        text["mentioned_mobile_list"] = [phone]
    return {"msgtype": "text", "text": text}


class WeComGroupRobot:
    name = "wecom"

    def missing_settings(self, config) -> list[str]:
        return [] if config.get("WECOM_WEBHOOK_PREFIX") else ["WECOM_WEBHOOK_PREFIX"]

    def address(self, user: User, message: OutboxMessage) -> str | None:
        """The group robot of the person's grid (or community)."""
        community_id, grid_id = place_of(user)
        hook = webhook_for(community_id, grid_id) if community_id else None
        return str(hook.id) if hook is not None and hook.broken_at is None else None

    def deliver(self, message: OutboxMessage, user: User | None) -> None:
        hook = db.session.get(GroupWebhook, int(message.recipient))
        if hook is None:
            raise Undeliverable("the group webhook was removed")
        if hook.broken_at is not None:
            raise Undeliverable(f"the group webhook is invalid: {hook.last_error}")
        now = utcnow()
        recent = sent_since(self.name, message.recipient, now - timedelta(minutes=1))
        if len(recent) >= current_app.config.get("WECOM_PER_MINUTE", 20):
            raise RetryLater("20 messages a minute per group robot", (recent[0] + timedelta(minutes=1) - now)
                             .total_seconds())
        body = json.dumps(payload(message, user), ensure_ascii=False).encode("utf-8")
        reply = post_json(hook.url, body, {"Content-Type": "application/json"})
        code, text = reply.get("errcode"), f"errcode {reply.get('errcode')}: {reply.get('errmsg', '')}"
        if code == 0:
            return
        if code == RATE_LIMITED:
            raise RetryLater(text, 60)
        if code == INVALID_KEY:
            hook.broken_at, hook.last_error = now, text[:200]
            raise Undeliverable(text)
        raise ProviderError(text)
