"""Points pages (积分兑换): my points, statement, earnings, catalogue and orders, gifts
(volunteers and residents); order details; the partner page with its orders and
monthly settlement; and the coordinators' rules, approvals, catalogue, grants,
corrections and ledger check.

Thin like the points API: a form becomes the dict the API's marshmallow
schema loads, the same service function runs, the request commits once, and a
refusal comes back as problems shown next to the field it names. Partners have
no logins of their own: the coordinators of a partner's community act for it.
One module per page group; what they share is in ``common``.
"""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

bp = Blueprint("points_pages", __name__)

from . import common, manage, my_points, orders, partners, transfers  # noqa: E402,F401  (filters and routes)

# --- registration -------------------------------------------------------------------------------------

def register(app) -> None:
    """The blueprint and its menu entries (called from ``views.init_app``)."""
    from ...accounts.models import Role
    from ...todo import register_provider
    from ...views import STAFF, register_nav
    from ..todo import points_todo

    app.register_blueprint(bp)
    register_provider(app, points_todo)
    register_nav(app, "points_pages.my_points", _l("My points"), {Role.volunteer, Role.resident}, order=-5,
                 active_prefix="points_pages.my_")
    register_nav(app, "points_pages.manage", _l("Points management"), STAFF, order=60, active_prefix="points_pages.")
