"""How the service pages write times."""
from datetime import datetime

from ...views import day_label


def moment(value: datetime | None) -> str:
    """A naive local time as ``周三 12-02 09:00``."""
    return f"{day_label(value.date())} {value:%H:%M}" if value else ""


def span_of(start: datetime, end: datetime) -> str:
    return f"{moment(start)}–{end:%H:%M}" if end.date() == start.date() else f"{moment(start)} – {moment(end)}"


def iso_moment(text: str | None) -> str:
    """A stored ISO minute (``2026-12-01T14:00``) shown like ``moment``."""
    return moment(datetime.fromisoformat(text)) if text else ""
