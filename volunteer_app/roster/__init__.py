"""Weekly duty rosters: demands, the solver's plan, review and publish, answers, swaps and emergency call-outs."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's API, pages, menu entries and reactions."""
    from ..extensions import register_api
    from .. import jobs
    from . import announcements, api, feeds, labels, phones, service, urgent, views  # noqa: F401  (announcements connects,
    # phones registers the pages that show full numbers)

    register_api(app, api.blp)
    app.register_blueprint(feeds.bp)
    views.register(app)
    jobs.register(app, jobs.JobKind(service.PLAN_JOB, service.run_plan_job))
    jobs.register(app, jobs.JobKind("roster.remind", service.send_todays_reminders, every_s=3600))
    jobs.register(app, jobs.JobKind("roster.callout_waves", urgent.advance_due_waves, every_s=60))
