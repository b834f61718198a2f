"""Resident services: the service menu, bookable events, requests (工单) and micro-wishes."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's API, pages, menu entries and reactions."""
    from ..extensions import register_api
    from .. import jobs
    from . import api, labels, phones, reactions, service, views  # noqa: F401  (phones, labels register)

    register_api(app, api.blp)
    views.register(app)
    reactions.init_app(app)
    jobs.register(app, jobs.JobKind("requests.overdue", service.flag_overdue, every_s=300))
