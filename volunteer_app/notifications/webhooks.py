"""The 企业微信 group robots of communities and grids, kept by their coordinators.

Only URLs under ``WECOM_WEBHOOK_PREFIX`` are accepted, so a webhook can never
make the server post to an address of someone's choosing. The URL's key is a
secret: lists show its last four characters only.
"""
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts import policy
from ..accounts.policy import Actor
from ..errors import Conflict, InvalidInput
from ..extensions import db
from ..places.models import Grid
from .models import GroupWebhook


def masked_url(url: str) -> str:
    head, _, key = url.partition("key=")
    return f"{head}key=…{key[-4:]}" if key else url[:24] + "…"


def in_scope(actor: Actor):
    policy.require(actor, "group_robots.manage")
    return select(GroupWebhook).where(policy.where(actor, "group_robots.manage", GroupWebhook)).order_by(
        GroupWebhook.community_id, GroupWebhook.grid_id.is_not(None), GroupWebhook.grid_id)


def get(actor: Actor, webhook_id: int) -> GroupWebhook:
    return policy.get(actor, "group_robots.manage", GroupWebhook, webhook_id)


def check_url(url: str) -> str:
    url = url.strip()
    prefix = current_app.config["WECOM_WEBHOOK_PREFIX"]
    if not url.startswith(prefix) or len(url) <= len(prefix) or any(c.isspace() for c in url):
        raise InvalidInput(_l("Not a 企业微信 group robot webhook URL."),
                           {"url": [_l("It must start with %(prefix)s and carry the robot's key.", prefix=prefix)]},
                           code="not_a_webhook")
    return url


def create(actor: Actor, community_id: int, grid_id: int | None, url: str, label: str = "") -> GroupWebhook:
    """One robot per community (no grid) and per grid; a coordinator sets only those of their scope."""
    if grid_id is not None:
        grid = db.session.get(Grid, grid_id)
        if grid is None or grid.community_id != community_id:
            elsewhere = _l("The grid is not in this community.")
            raise InvalidInput(elsewhere, {"grid_id": [elsewhere]}, code="other_community")
    policy.require(actor, "group_robots.manage", policy.Place(community_id, grid_id))
    same_place = select(GroupWebhook.id).where(
        GroupWebhook.community_id == community_id,
        GroupWebhook.grid_id.is_(None) if grid_id is None else GroupWebhook.grid_id == grid_id)
    if db.session.scalar(same_place) is not None:
        raise Conflict(_l("This community or grid already has a group robot; change or remove that one."),
                       {"grid_id" if grid_id else "community_id": [_l("It already has a group robot.")]},
                       code="robot_exists")
    hook = GroupWebhook(community_id=community_id, grid_id=grid_id, url=check_url(url), label=label.strip())
    db.session.add(hook)
    db.session.flush()
    return hook


def update(actor: Actor, webhook_id: int, data: dict) -> GroupWebhook:
    """A new URL (say, after WeCom said the key was invalid) clears the broken flag."""
    hook = get(actor, webhook_id)
    if "url" in data:
        hook.url, hook.broken_at, hook.last_error = check_url(data["url"]), None, ""
    if "label" in data:
        hook.label = data["label"].strip()
    db.session.flush()
    return hook


def delete(actor: Actor, webhook_id: int) -> None:
    db.session.delete(get(actor, webhook_id))
    db.session.flush()
