"""数字驾驶舱: figures computed from the other domains' records; no tables of its own."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's API, pages, menu entries and reactions."""
    from ..extensions import register_api
    from . import api, views

    register_api(app, api.blp)
    views.register(app)
