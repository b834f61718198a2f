"""Points and exchange (积分兑换): a time-bank ledger, earning rules, a redemption catalogue."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's API, pages, menu entries and reactions."""
    from ..extensions import register_api
    from . import api, cli, labels, reactions, views  # noqa: F401  (reactions connects, labels registers)

    register_api(app, api.blp)
    views.register(app)
    cli.init_app(app)
