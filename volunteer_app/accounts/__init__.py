"""Users, roles and scopes; login, the language switch, the home page and "my profile"."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's API, pages, menu entries and reactions."""
    from flask_babel import lazy_gettext as _l

    from ..extensions import register_api
    from ..views import STAFF, register_nav
    from .models import Role
    from . import api, auth, labels, views  # noqa: F401  (labels registers its tables)

    auth.init_app(app)
    register_api(app, api.blp)
    app.register_blueprint(views.bp)
    register_nav(app, "views.home", _l("Home"), STAFF, order=0)
    register_nav(app, "views.profile", _l("My profile"), {Role.volunteer, Role.resident}, order=0)
