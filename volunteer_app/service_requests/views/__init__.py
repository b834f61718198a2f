"""Resident-service pages: the menu (便民服务) with events, slots and bookings; requests (工单)
from filing to rating; the grid worker's queue; follow-ups (回访); the wish board (微心愿).

Thin like the other page modules: a form becomes the dict the API's marshmallow
schema loads, the same service function runs, the request commits once, and a
refusal comes back as form problems shown next to the fields it names. What is
left here is presentation: labels, times, which buttons to draw.

Residents act for themselves; staff act for a resident they choose (代办), carried
as ``resident_id`` in the links and forms of these pages.

One module per page family: ``events`` (the menu, events, bookings), ``requests``,
``follow_ups``, ``wishes``; ``common`` and ``labels`` hold what they share.
"""
from flask_babel import lazy_gettext as _l

from ...accounts.models import Role
from ...views import STAFF
from . import events, follow_ups, requests, wishes  # noqa: F401  (importing them adds their pages to bp)
from .common import bp
__all__ = ["bp", "register"]


def register(app) -> None:
    """The blueprint and its menu entries (called from ``views.init_app``)."""
    from ...todo import register_provider
    from ..todo import requests_todo
    from ...views import register_nav

    app.register_blueprint(bp)
    register_provider(app, requests_todo)
    residents, volunteers = {Role.resident}, {Role.volunteer}
    register_nav(app, "services_pages.home", _l("Services"), residents, order=-20, active_prefix="services_pages.home")
    register_nav(app, "services_pages.my_bookings", _l("My bookings"), residents, order=-19,
                 active_prefix="services_pages.my_booking")
    register_nav(app, "services_pages.my_requests", _l("My requests"), residents, order=-18,
                 active_prefix="services_pages.my_requests")
    register_nav(app, "services_pages.my_requests", _l("My tasks"), volunteers, order=-9,
                 active_prefix="services_pages.my_requests")
    register_nav(app, "services_pages.queue", _l("Requests"), STAFF, order=52, group="services", active_prefix="services_pages.queue")
    register_nav(app, "services_pages.events", _l("Service events"), STAFF, order=53, group="services",
                 active_prefix="services_pages.event")
    register_nav(app, "services_pages.home", _l("Act for a resident"), STAFF, order=54, group="services",
                 active_prefix="services_pages.home")
    register_nav(app, "services_pages.follow_ups", _l("Follow-ups"), STAFF, order=55, group="services",
                 active_prefix="services_pages.follow_up")
    register_nav(app, "services_pages.wishes", _l("Wish board"), STAFF, order=56, group="services",
                 active_prefix="services_pages.wish")
    register_nav(app, "services_pages.wishes", _l("Wish board"), {*residents, *volunteers}, order=56,
                 active_prefix="services_pages.wish")
