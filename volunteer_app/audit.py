"""Writes the audit log from SQLAlchemy's flush, so no service can forget it.

Every ``Audited`` model's insert, update and delete becomes one ``audit_log``
row in the same transaction: rolled back together, never half-written.
"""
import enum
from datetime import date, datetime, time

from flask import g, has_app_context
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from .accounts.models import AuditLog
from .models_base import Audited, utcnow


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if hasattr(value, "__table__"):
        return _label(value)
    return value


def _label(obj) -> str:
    for name in ("code", "group", "username"):
        if hasattr(obj, name):
            return str(_plain(getattr(obj, name)))
    return _primary_key(obj)


def _primary_key(obj) -> str:
    """Works in ``after_flush``, before new objects get their identity key."""
    return ",".join(str(_plain(part)) for part in inspect(obj).mapper.primary_key_from_instance(obj))


def _changes(obj, include_unchanged: bool) -> dict:
    """Column values (for inserts/deletes) or ``[old, new]`` pairs (for updates)."""
    state = inspect(obj)
    changes = {}
    for attr in state.mapper.attrs:
        key = attr.key
        if key in obj.audit_exclude:
            continue
        history = state.attrs[key].history
        is_column = hasattr(attr, "columns")
        if include_unchanged:
            if is_column:
                changes[key] = _plain(state.attrs[key].loaded_value)
            continue
        if not history.has_changes():
            continue
        if is_column:
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old != new:
                changes[key] = [_plain(old), _plain(new)]
        else:
            changes[key] = {"added": _plain(history.added), "removed": _plain(history.deleted)}
    return changes


def actor_id() -> int | None:
    return getattr(g, "actor_id", None) if has_app_context() else None


def _after_flush(session: Session, _flush_context) -> None:
    rows = []
    for action, objects, full in (("create", session.new, True), ("update", session.dirty, False), ("delete", session.deleted, True)):
        for obj in objects:
            if not isinstance(obj, Audited):
                continue
            if action == "update" and not session.is_modified(obj):
                continue
            changes = _changes(obj, include_unchanged=full)
            if action == "update" and not changes:
                continue
            rows.append({
                "at": utcnow(),
                "user_id": actor_id(),
                "action": action,
                "entity": obj.__tablename__,
                "entity_id": _primary_key(obj),
                "changes": changes,
            })
    if rows:
        session.connection().execute(insert(AuditLog.__table__), rows)


def install() -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
