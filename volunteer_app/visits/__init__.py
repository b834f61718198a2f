"""Visits (走访) and the 民情日志: grid workers visit every household of their grid on a cycle and
priority-group residents at their own interval, note what they found, and pass needs on as requests
or wishes; the figures give 走访覆盖率 per grid and community."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's API, pages, menu entry and to-do provider."""
    from flask_babel import lazy_gettext as _l

    from ..extensions import register_api
    from ..todo import register_provider
    from ..views import register_nav
    from . import api, labels, views  # noqa: F401  (labels registers its tables)
    from .todo import visits_todo

    register_api(app, api.blp)
    app.register_blueprint(views.bp)
    register_nav(app, "visit_pages.index", _l("Visits"), order=50, active_prefix="visit_pages.")
    register_provider(app, visits_todo)
