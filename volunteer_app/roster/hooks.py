"""Where other domains plug work into the roster without the roster importing them.

A *task source* adds demands to a week's roster problem (residents' requests are
tasks ``r<id>`` planned with the duties) and pins those already given to someone;
a *my-week section* adds a block to the volunteer's week page. Both are
registered per app by the providing domain at start-up.
"""
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from flask import Flask, current_app

from ..accounts.policy import Actor


class TaskSource(Protocol):
    def tasks(self, community_id: int, week: str) -> list[dict]:
        """roster-problem/1 demands to plan with the week's duties."""

    def pinned(self, community_id: int, week: str) -> list[dict]:
        """``{"demand": key, "volunteer": key}`` pairs already decided, kept by every re-plan."""


@dataclass(frozen=True)
class MyWeekSection:
    template: str  # a partial rendered with ``items`` on the volunteer's week page
    items: list


MyWeekProvider = Callable[[Actor, str], MyWeekSection | None]


def register_task_source(app: Flask, source: TaskSource) -> None:
    app.extensions.setdefault("roster_task_sources", []).append(source)


def task_sources() -> list[TaskSource]:
    return current_app.extensions.get("roster_task_sources", [])


def register_my_week_section(app: Flask, provider: MyWeekProvider) -> None:
    app.extensions.setdefault("roster_my_week_sections", []).append(provider)


def my_week_sections(actor: Actor, week: str) -> list[MyWeekSection]:
    """Each provider's section for this volunteer and ISO week, empty ones left out."""
    sections = (provider(actor, week) for provider in current_app.extensions.get("roster_my_week_sections", []))
    return [section for section in sections if section is not None and section.items]
