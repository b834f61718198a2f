"""The audit trail records exactly what was stored, for every audited model.

Rows are built from the table definitions alone: every required column gets a
value (a parent row for a foreign key), every nullable column stays unset.
"""
import importlib
import itertools
import pkgutil
from datetime import date, datetime, time, timezone

import pytest
from sqlalchemy import JSON, Boolean, Date, DateTime, Enum, Float, Integer, String, Text, Time, inspect, select

import volunteer_app
from volunteer_app.accounts.models import AuditLog
from volunteer_app.audit import _plain
from volunteer_app.extensions import db
from volunteer_app.models_base import Audited

for module in pkgutil.walk_packages(volunteer_app.__path__, "volunteer_app."):
    if module.name.rsplit(".", 1)[-1] == "models":
        importlib.import_module(module.name)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


AUDITED = sorted({m for m in _subclasses(Audited) if hasattr(m, "__table__")}, key=lambda m: m.__name__)
_serial = itertools.count(1)


def _value(column):
    kind = column.type
    if isinstance(kind, Enum):
        return next(iter(kind.enum_class)) if kind.enum_class else kind.enums[0]
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, (Integer, Float)):
        return 1
    if isinstance(kind, DateTime):
        return datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    if isinstance(kind, Date):
        return date(2026, 12, 1)
    if isinstance(kind, Time):
        return time(9, 0)
    if isinstance(kind, JSON):
        return {}
    if isinstance(kind, (String, Text)):
        return f"x{next(_serial)}"[: kind.length or 32]
    raise AssertionError(f"no test value for {column}")


def _mapper_of(table):
    return next(m for m in db.Model.registry.mappers if m.local_table is table)


def _minimal(model):
    """A stored row of ``model`` with its required columns only; parents are made the same way."""
    values = {}
    for attr in inspect(model).column_attrs:
        column = attr.columns[0]
        if column.nullable or column.default is not None or column.server_default is not None:
            continue
        if column.primary_key and column.autoincrement in (True, "auto") and isinstance(column.type, Integer):
            continue
        if column.foreign_keys:
            target = next(iter(column.foreign_keys)).column
            parent = _minimal(_mapper_of(target.table).class_)
            values[attr.key] = getattr(parent, _mapper_of(target.table).get_property_by_column(target).key)
        else:
            values[attr.key] = _value(column)
    row = model(**values)
    db.session.add(row)
    db.session.flush()
    return row


def _as_stored(value):
    """Plain form; a moment as naive UTC (SQLite hands back naive datetimes, PostgreSQL aware ones)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return _plain(value)


def _stored(model, row) -> dict:
    """The row as the database holds it."""
    keys = [(attr.key, attr.columns[0]) for attr in inspect(model).column_attrs if attr.key not in model.audit_exclude]
    pk = inspect(model).primary_key_from_instance(row)
    stored = db.session.execute(
        select(*[c for _, c in keys]).where(*[c == v for c, v in zip(model.__table__.primary_key.columns, pk)])
    ).one()
    return {key: _as_stored(value) for (key, _), value in zip(keys, stored)}


def _logged(model, action) -> dict:
    """The one audit row of this action on ``model``, its moments as naive UTC."""
    [row] = db.session.scalars(select(AuditLog).where(AuditLog.entity == model.__tablename__,
                                                      AuditLog.action == action)).all()
    moments = {attr.key for attr in inspect(model).column_attrs if isinstance(attr.columns[0].type, DateTime)}
    return {key: _as_stored(datetime.fromisoformat(value)) if key in moments and value else value
            for key, value in row.changes.items()}


@pytest.mark.parametrize("model", AUDITED, ids=lambda m: m.__name__)
def test_created_row_is_audited_as_stored(app_ctx, model):
    row = _minimal(model)
    db.session.commit()
    assert _logged(model, "create") == _stored(model, row)


@pytest.mark.parametrize("model", AUDITED, ids=lambda m: m.__name__)
def test_deleted_row_is_audited_as_it_was_stored(app_ctx, model):
    row = _minimal(model)
    db.session.commit()
    stored = _stored(model, row)
    db.session.expire_all()
    db.session.delete(row)
    db.session.commit()
    assert _logged(model, "delete") == stored


def test_update_of_an_unread_row_logs_the_stored_old_value(app_ctx, make_volunteer):
    volunteer = make_volunteer(name="周岩", max_hours_per_week=6)
    db.session.expire_all()  # as after a commit: the next write does not read the row first
    volunteer.max_hours_per_week = 10
    db.session.commit()
    [logged] = db.session.scalars(select(AuditLog).where(AuditLog.entity == "volunteers",
                                                         AuditLog.action == "update")).all()
    assert logged.changes == {"max_hours_per_week": [6, 10]}
