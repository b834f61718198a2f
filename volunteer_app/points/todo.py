"""Points on the coordinator's to-do list: earnings and orders waiting for approval."""
from flask import url_for
from flask_babel import ngettext
from sqlalchemy import func, select

from ..accounts.policy import Actor
from ..extensions import db
from ..todo import TodoItem
from .models import EarningStatus, RedemptionStatus
from .service import earnings_query, redemptions_query


def points_todo(actor: Actor) -> list[TodoItem]:
    def count(statement) -> int:
        return db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))

    earnings = count(earnings_query(actor, {"status": EarningStatus.pending}))
    orders = count(redemptions_query(actor, {"status": RedemptionStatus.requested}))
    return [
        TodoItem("earnings", earnings, ngettext("%(num)s earning of points waits for approval",
                                                "%(num)s earnings of points wait for approval", earnings),
                 url_for("points_pages.earnings", status=EarningStatus.pending.value)),
        TodoItem("orders", orders, ngettext("%(num)s order waits for approval", "%(num)s orders wait for approval",
                                            orders),
                 url_for("points_pages.orders", status=RedemptionStatus.requested.value)),
    ]
