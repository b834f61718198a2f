"""Writes the audit log from SQLAlchemy's flush, so no service can forget it.

Every ``Audited`` model's insert, update and delete becomes one ``audit_log``
row in the same transaction: rolled back together, never half-written.
"""
import enum
from datetime import date, datetime, time

from flask import g, has_app_context
from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import NO_VALUE

from .accounts.models import AuditLog
from .models_base import Audited, utcnow

_OLD_VALUES = "audit_old_values"  # session.info key: old values read before a flush, by object state


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


def _from_database(session: Session, obj, keys: list[str]) -> dict:
    """What the database holds for these column attributes of ``obj`` (values the session has not loaded)."""
    mapper = inspect(obj).mapper
    columns = [mapper.attrs[key].columns[0] for key in keys]
    where = [c == v for c, v in zip(mapper.primary_key, mapper.primary_key_from_instance(obj))]
    return dict(zip(keys, session.connection().execute(select(*columns).where(*where)).one()))


def _column_values(obj) -> dict:
    """The session's value of each audited column (``NO_VALUE`` for one it has not loaded)."""
    state = inspect(obj)
    return {attr.key: state.attrs[attr.key].loaded_value
            for attr in state.mapper.column_attrs if attr.key not in obj.audit_exclude}


def _inserted(session: Session, obj) -> dict:
    """Column values of a row just inserted, as stored.

    A column the insert left unset holds its server-side default, or NULL
    when it has none; only the former needs reading back.
    """
    values = _column_values(obj)
    unset = [key for key, value in values.items() if value is NO_VALUE]
    values.update({key: None for key in unset})
    generated = [key for key in unset if _server_generated(inspect(obj).mapper.attrs[key].columns[0])]
    if generated:
        values.update(_from_database(session, obj, generated))
    return {key: _plain(value) for key, value in values.items()}


def _server_generated(column) -> bool:
    return column.server_default is not None or column.computed is not None or column.identity is not None


def _changes(obj, old_values: dict) -> dict:
    """``[old, new]`` pairs of changed columns, and what was added to or removed from relationships."""
    state = inspect(obj)
    changes = {}
    for attr in state.mapper.attrs:
        key = attr.key
        if key in obj.audit_exclude:
            continue
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        if hasattr(attr, "columns"):
            old = history.deleted[0] if history.deleted else old_values.get(key)
            new = history.added[0] if history.added else None
            if old != new:
                changes[key] = [_plain(old), _plain(new)]
        else:
            changes[key] = {"added": _plain(history.added), "removed": _plain(history.deleted)}
    return changes


def _unloaded_old_values(session: Session, obj) -> dict:
    """Old values of columns changed without being read first (an expired object): the history lacks them."""
    state = inspect(obj)
    keys = [attr.key for attr in state.mapper.column_attrs
            if attr.key not in obj.audit_exclude and state.attrs[attr.key].history.added
            and not state.attrs[attr.key].history.deleted]
    return _from_database(session, obj, keys) if keys else {}


def actor_id() -> int | None:
    return getattr(g, "actor_id", None) if has_app_context() else None


def _before_flush(session: Session, _flush_context, _instances) -> None:
    """Read, while the database still holds them, old values the session has not loaded."""
    session.info[_OLD_VALUES] = {inspect(obj): _unloaded_old_values(session, obj) for obj in session.dirty
                                 if isinstance(obj, Audited) and session.is_modified(obj)}


def _after_flush(session: Session, _flush_context) -> None:
    old_values = session.info.pop(_OLD_VALUES, {})
    rows = []
    for action, objects in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            if not isinstance(obj, Audited):
                continue
            if action == "update" and not session.is_modified(obj):
                continue
            if action == "create":
                changes = _inserted(session, obj)
            elif action == "update":
                changes = _changes(obj, old_values.get(inspect(obj), {}))
            else:
                changes = {key: _plain(value) for key, value in _column_values(obj).items()}
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
    for name, listener in (("before_flush", _before_flush), ("after_flush", _after_flush)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
