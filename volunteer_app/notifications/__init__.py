"""The in-app inbox and the outbox of messages for outside channels."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's API, pages, menu entries and reactions."""
    from ..extensions import register_api
    from .. import jobs
    from . import api, labels, sender, service, setup, sms  # noqa: F401  (labels registers its tables)

    register_api(app, api.blp)
    jobs.register(app, jobs.JobKind(sender.DELIVER_JOB, service.deliver_pending, every_s=60))
    jobs.register(app, jobs.JobKind(sms.RECEIPTS_JOB, sms.pull_receipts, every_s=120))
    setup.init_app(app)  # channels, outbox and group-robot pages, to-do items, reactions
