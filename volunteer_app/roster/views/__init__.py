"""Roster pages: duty templates, plan → review → publish, emergency call-outs
(coordinators); my week with answers, swaps and the calendar feed (volunteers).

Thin like the registry pages: a form becomes the dict the roster API's
marshmallow schema loads, the same service runs, the request commits once, and
a refusal (``DomainError``) comes back as form problems on the page. What is
left here is presentation: grouping a week into stations × days and putting
names where the solver's texts say ``v12`` or ``d34``. One module per page group.
"""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

bp = Blueprint("roster_pages", __name__)

from . import attendance, callouts, duty_templates, my_week, planning, review, teams  # noqa: E402,F401  (routes)

# --- registration ----------------------------------------------------------------------------

def register(app) -> None:
    """The blueprint and its menu entries (called from the roster's ``init_app``)."""
    from ...accounts.models import Role
    from ...todo import register_provider
    from ...views import STAFF, register_nav
    from .todo import roster_todo

    app.register_blueprint(bp)
    register_provider(app, roster_todo)
    register_nav(app, "roster_pages.roster_plan", _l("Rosters"), STAFF, order=45, active_prefix="roster_pages.roster_",
                 group="roster")
    register_nav(app, "roster_pages.templates", _l("Duty templates"), STAFF, order=46, group="roster",
                 active_prefix="roster_pages.template")
    register_nav(app, "roster_pages.callouts", _l("Call-outs"), STAFF, order=47, active_prefix="roster_pages.callout",
                 group="roster")
    register_nav(app, "roster_pages.teams_list", _l("Teams"), STAFF, order=48, active_prefix="roster_pages.team",
                 group="roster")
    register_nav(app, "roster_pages.my_week_now", _l("My week"), {Role.volunteer}, order=-10,
                 active_prefix="roster_pages.my_")
