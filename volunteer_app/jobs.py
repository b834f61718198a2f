"""Background jobs on Celery with Redis when ``REDIS_URL`` is set, eagerly in-process otherwise.

The worker for a city deployment starts with one command:

    celery -A volunteer_app.worker worker --loglevel INFO

(it builds the app from the same environment variables as the web processes).
"""
from celery import Celery, Task
from flask import Flask

celery = Celery("jiamenkou")


def init_app(app: Flask) -> Celery:
    """Bind the Celery app to this Flask app: every task runs inside an app context."""

    class AppContextTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    redis_url = app.config.get("REDIS_URL")
    celery.conf.update(
        broker_url=redis_url or "memory://",
        result_backend=None,
        task_always_eager=not redis_url or app.config.get("JOBS_EAGER", False),
        task_eager_propagates=False,
        task_acks_late=True,  # a job whose worker dies is not lost silently ...
        task_reject_on_worker_lost=False,  # ... nor retried forever: the app marks it failed
        worker_prefetch_multiplier=1,  # solves are long: one at a time per worker process
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        beat_schedule={  # run with: celery -A volunteer_app.worker beat
            "roster-reminders": {"task": "roster.remind", "schedule": 3600.0},
            "deliver-outbox": {"task": "notifications.deliver", "schedule": 60.0},
        },
        timezone="Asia/Shanghai",
    )
    celery.Task = AppContextTask
    app.extensions["celery"] = celery
    return celery


@celery.task(name="roster.plan")
def plan_week_task(job_id: int) -> None:
    from .roster.service import run_plan_job

    run_plan_job(job_id)


def enqueue_plan(job_id: int) -> None:
    """Send after the job row is committed, so the worker can see it."""
    plan_week_task.delay(job_id)



@celery.task(name="roster.remind")
def remind_task() -> int:
    from .extensions import db
    from .roster.service import send_reminders
    from .roster.urgent import now_local

    sent = send_reminders(now_local().date())
    db.session.commit()
    return sent


@celery.task(name="notifications.deliver")
def deliver_task() -> int:
    from .extensions import db
    from .notifications.service import deliver_pending

    sent = deliver_pending()
    db.session.commit()
    return sent
