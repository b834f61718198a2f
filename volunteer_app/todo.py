"""The coordinator's to-do list (待办): what needs doing now, each item a link to where it is done.

Each domain's pages register a provider when they register their blueprint,
so the home page lists every domain's work without importing any of them.
A provider takes the actor (``accounts.policy.Actor``, found once per page) and answers items within
their reach; empty ones are
left out.
"""
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app

from .accounts.policy import Actor


@dataclass(frozen=True)
class TodoItem:
    kind: str  # a stable code: tests and styles find items by it
    count: int
    text: str  # in the page's language, from the provider
    url: str
    urgent: bool = False


Provider = Callable[[Actor], list[TodoItem]]


def register_provider(app: Flask, provider: Provider) -> None:
    app.extensions.setdefault("todo_providers", []).append(provider)


def items_for(actor: Actor) -> list[TodoItem]:
    """Every provider's items with something to do, the urgent ones first."""
    items = [item for provider in current_app.extensions.get("todo_providers", ())
             for item in provider(actor) if item.count > 0]
    return sorted(items, key=lambda item: not item.urgent)
