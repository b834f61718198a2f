"""The front door: login and the language switch, each person's home and profile, and the
administration of accounts, tokens and the audit log. It sits above every domain (the home
page gathers from them); identity itself (users, roles, scopes, the access policy) is
``accounts``, below them all."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the front door's API, pages and menu entries."""
    from flask_babel import lazy_gettext as _l

    from ..accounts.models import Role
    from ..extensions import register_api
    from ..views import STAFF, register_nav
    from . import api, views

    register_api(app, api.blp)
    app.register_blueprint(views.bp)
    register_nav(app, "views.home", _l("Home"), STAFF, order=0)
    register_nav(app, "views.profile", _l("My profile"), {Role.volunteer, Role.resident}, order=0)
    register_nav(app, "views.login_qr_codes", _l("Login QR codes"), STAFF, order=35, group="registers",
                 active_prefix="views.login_qr")
