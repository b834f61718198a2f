"""Volunteers, in-office party members (双报到), residents and their skills, availability and import/export."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's API, pages, menu entries and reactions."""
    from flask_babel import lazy_gettext as _l

    from ..extensions import register_api
    from ..views import register_nav
    from . import api, labels, transfer_api, transfer_views, views  # noqa: F401  (labels registers its tables)

    register_api(app, api.blp)
    register_api(app, transfer_api.blp)
    app.register_blueprint(views.bp)
    app.register_blueprint(transfer_views.bp)
    register_nav(app, "people_pages.volunteers", _l("Volunteers"), order=10, group="registers", active_prefix="people_pages.volunteer")
    register_nav(app, "people_pages.party_reports", _l("Party members"), order=20, group="registers",
                 active_prefix="people_pages.party_report")
    register_nav(app, "people_pages.residents", _l("Residents"), order=30, group="registers", active_prefix="people_pages.resident")
    register_nav(app, "transfer_pages.index", _l("Import and export"), order=50, group="registers", active_prefix="transfer_pages.")
