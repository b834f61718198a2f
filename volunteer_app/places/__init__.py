"""The place hierarchy: communities, grids, buildings and service stations with their opening hours."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's API, pages, menu entries and reactions."""
    from flask_babel import lazy_gettext as _l

    from ..extensions import register_api
    from ..views import register_nav
    from . import api, labels, views  # noqa: F401  (labels registers its tables)

    register_api(app, api.blp)
    app.register_blueprint(views.bp)
    register_nav(app, "places_pages.stations", _l("Stations"), order=40, group="registers", active_prefix="places_pages.station")
