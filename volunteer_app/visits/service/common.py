"""What the parts of the visits' rules share: the clock (tests fix ``common.now``), months, paging."""
from datetime import date, datetime, time, timedelta
from math import ceil

from sqlalchemy import func, select

from ...clock import now_local
from ...extensions import db


def now() -> datetime:
    """China local time without an offset, as visits are kept."""
    return now_local()


def current_minute() -> datetime:
    """Now, to the minute: a visit's time as people write it."""
    return now().replace(second=0, microsecond=0)


def today() -> date:
    return now().date()


def month_span(day: date) -> tuple[datetime, datetime]:
    """The month holding ``day`` as local moments: from its first midnight up to the next month's."""
    first = day.replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    return datetime.combine(first, time.min), datetime.combine(after, time.min)


def rows_page(statement, args: dict, build) -> dict:
    """One page of a many-column ``statement`` (``page``/``per_page`` in ``args``) as the ``page_schema``
    envelope, its rows turned into items by ``build(rows)``."""
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    page, per_page = args["page"], args["per_page"]
    rows = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": build(rows), "total": total, "page": page, "per_page": per_page,
            "pages": ceil(total / per_page)}
