"""The 企业微信 group robots of communities and grids, kept by their coordinators.

Only URLs under ``WECOM_WEBHOOK_PREFIX`` are accepted, so a webhook can never
make the server post to an address of someone's choosing. The URL's key is a
secret: lists show its last four characters only.
"""
from flask import current_app
from sqlalchemy import select

from ..accounts.scoping import current_scope
from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from ..places.models import Grid
from .models import GroupWebhook


def masked_url(url: str) -> str:
    head, _, key = url.partition("key=")
    return f"{head}key=…{key[-4:]}" if key else url[:24] + "…"


def in_scope():
    return select(GroupWebhook).where(current_scope().clause(GroupWebhook)).order_by(
        GroupWebhook.community_id, GroupWebhook.grid_id.is_not(None), GroupWebhook.grid_id)


def get(webhook_id: int) -> GroupWebhook:
    hook = db.session.get(GroupWebhook, webhook_id)
    if hook is None or not current_scope().allows(hook.community_id, hook.grid_id):
        raise NotFound("group webhook not found")
    return hook


def check_url(url: str) -> str:
    url = url.strip()
    prefix = current_app.config["WECOM_WEBHOOK_PREFIX"]
    if not url.startswith(prefix) or len(url) <= len(prefix) or any(c.isspace() for c in url):
        raise InvalidInput("Not a 企业微信 group robot webhook URL",
                           {"url": [f"must start with {prefix} and carry the robot's key"]})
    return url


def create(community_id: int, grid_id: int | None, url: str, label: str = "") -> GroupWebhook:
    """One robot per community (no grid) and per grid; a coordinator sets only those of their scope."""
    if grid_id is not None:
        grid = db.session.get(Grid, grid_id)
        if grid is None or grid.community_id != community_id:
            raise InvalidInput("The grid is not in this community", {"grid_id": ["not in this community"]})
    current_scope().require(community_id, grid_id)
    same_place = select(GroupWebhook.id).where(
        GroupWebhook.community_id == community_id,
        GroupWebhook.grid_id.is_(None) if grid_id is None else GroupWebhook.grid_id == grid_id)
    if db.session.scalar(same_place) is not None:
        raise Conflict("This community or grid already has a group robot; change or remove that one",
                       {"grid_id" if grid_id else "community_id": ["already has a group robot"]})
    hook = GroupWebhook(community_id=community_id, grid_id=grid_id, url=check_url(url), label=label.strip())
    db.session.add(hook)
    db.session.flush()
    return hook


def update(hook: GroupWebhook, data: dict) -> GroupWebhook:
    """A new URL (say, after WeCom said the key was invalid) clears the broken flag."""
    if "url" in data:
        hook.url, hook.broken_at, hook.last_error = check_url(data["url"]), None, ""
    if "label" in data:
        hook.label = data["label"].strip()
    db.session.flush()
    return hook


def delete(hook: GroupWebhook) -> None:
    db.session.delete(hook)
    db.session.flush()
