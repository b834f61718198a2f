"""Background jobs: Celery over Redis when ``REDIS_URL`` is set, in-process otherwise.

Each Flask app gets its own Celery app (no module-level state), so tests and
tools that build several apps cannot reconfigure each other's queue. The
worker for a city deployment starts with one command:

    celery -A volunteer_app.worker worker --loglevel INFO

(it builds the app from the same environment variables as the web processes).
"""
import threading

from celery import Celery, Task
from flask import Flask, current_app

PLAN, REMIND, DELIVER, OVERDUE = "roster.plan", "roster.remind", "notifications.deliver", "requests.overdue"
CALLOUT_WAVES = "roster.callout_waves"


def _plan(job_id: int) -> None:
    from .roster.service import run_plan_job

    run_plan_job(job_id)


def _remind() -> int:
    from .extensions import db
    from .roster.service import send_reminders
    from .roster.urgent import now_local

    sent = send_reminders(now_local().date())
    db.session.commit()
    return sent


def _callout_waves() -> int:
    from .extensions import db
    from .roster.urgent import advance_due_waves

    invited = advance_due_waves()
    db.session.commit()
    return invited


def _deliver() -> int:
    from .extensions import db
    from .notifications.service import deliver_pending

    sent = deliver_pending()
    db.session.commit()
    return sent


def _delivery_loop(app: Flask, wake: threading.Event) -> None:
    """Embedded mode's sender: deliver, sleep until the next retry is due or a commit wakes it, repeat."""
    from .extensions import db
    from .notifications.service import seconds_until_due

    while True:
        wake.clear()
        with app.app_context():
            try:
                _deliver()
                wait = seconds_until_due()
            except Exception:  # a broken sender must not end the loop
                app.logger.exception("in-process delivery failed")
                db.session.rollback()
                wait = 60.0
        wake.wait(timeout=None if wait is None else min(max(wait, 1.0), 60.0))


def deliver_soon(app: Flask) -> None:
    """New messages were committed: send them now rather than at the next beat.

    With Celery a delivery task is queued (rows are locked, so concurrent
    tasks never send one twice). Without it one thread per process delivers,
    then waits for the next retry or the next wake-up, so a laptop
    installation with a channel configured delivers too;
    ``NOTIFY_IN_BACKGROUND=0`` turns the thread off (tests call
    ``deliver_pending`` themselves).
    """
    if app.config.get("REDIS_URL"):
        try:
            app.extensions["celery"].send_task(DELIVER)
        except Exception:  # the change is committed; the next beat delivers it
            app.logger.exception("could not queue a delivery run")
        return
    if not app.config.get("NOTIFY_IN_BACKGROUND"):
        return
    with app.extensions["delivery_lock"]:
        wake = app.extensions.get("delivery_wake")
        if wake is None:
            wake = app.extensions["delivery_wake"] = threading.Event()
            threading.Thread(target=_delivery_loop, args=(app, wake), name="outbox-delivery", daemon=True).start()
    wake.set()


def _overdue() -> int:
    from .extensions import db
    from .service_requests.service import flag_overdue

    told = flag_overdue()
    db.session.commit()
    return told


def init_app(app: Flask) -> Celery:
    """A Celery app bound to this Flask app: every task runs inside its app context."""

    class AppContextTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    redis_url = app.config.get("REDIS_URL")
    celery = Celery(app.import_name, task_cls=AppContextTask)
    celery.conf.update(
        broker_url=redis_url or "memory://",
        result_backend=None,
        task_ignore_result=True,
        task_acks_late=True,  # a job whose worker dies is not lost silently ...
        task_reject_on_worker_lost=False,  # ... nor retried forever: the app marks it failed
        worker_prefetch_multiplier=1,  # solves are long: one at a time per worker process
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        beat_schedule={  # run with: celery -A volunteer_app.worker beat
            "roster-reminders": {"task": REMIND, "schedule": 3600.0},
            "deliver-outbox": {"task": DELIVER, "schedule": 60.0},
            "overdue-requests": {"task": OVERDUE, "schedule": 300.0},
            "callout-waves": {"task": CALLOUT_WAVES, "schedule": 60.0},
        },
        timezone="Asia/Shanghai",
    )
    for name, function in ((PLAN, _plan), (REMIND, _remind), (DELIVER, _deliver), (OVERDUE, _overdue),
                           (CALLOUT_WAVES, _callout_waves)):
        celery.task(name=name)(function)
    app.extensions["celery"] = celery
    app.extensions["delivery_lock"] = threading.Lock()
    return celery


def enqueue_plan(job_id: int) -> None:
    """Queue a plan job (after its row is committed, so a worker can see it).

    Without a broker (the embedded default) the job runs in a background
    thread of this process, so the coordinator sees the same progress page as
    with Celery instead of a spinning browser; ``ROSTER_JOBS_IN_BACKGROUND=0``
    runs it here and now (tests that are not about the progress use that).
    A thread lost with its process is marked failed like a lost worker.
    """
    if current_app.config.get("REDIS_URL"):
        current_app.extensions["celery"].send_task(PLAN, args=[job_id])
    elif current_app.config.get("ROSTER_JOBS_IN_BACKGROUND"):
        app = current_app._get_current_object()

        def work() -> None:
            with app.app_context():
                _plan(job_id)

        threading.Thread(target=work, name=f"plan-job-{job_id}", daemon=True).start()
    else:
        _plan(job_id)
