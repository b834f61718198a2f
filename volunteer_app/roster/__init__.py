"""Weekly duty rosters: demands, the solver's plan, review and publish, answers, swaps and emergency call-outs."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's API, pages, menu entries and reactions."""
    from ..extensions import register_api
    from . import api, feeds, views

    register_api(app, api.blp)
    app.register_blueprint(feeds.bp)
    views.register(app)
