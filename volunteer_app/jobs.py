"""Background jobs: Celery over Redis when ``REDIS_URL`` is set, in-process otherwise.

Each Flask app gets its own Celery app (no module-level state), so tests and
tools that build several apps cannot reconfigure each other's queue. The
worker for a city deployment starts with one command:

    celery -A volunteer_app.worker worker --loglevel INFO

(it builds the app from the same environment variables as the web processes).
"""
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from celery import Celery, Task
from flask import Flask, current_app



@dataclass(frozen=True)
class JobKind:
    """A job a domain offers: ``function`` runs inside an app context and the runner commits after it."""

    name: str  # the Celery task name, e.g. "roster.plan"
    function: Callable[..., object]
    every_s: float | None = None  # run by Celery beat this often, if set


def register(app: Flask, kind: JobKind) -> None:
    """Called from a domain's ``init_app``: this module imports no domain, the domains register here."""
    app.extensions.setdefault("job_kinds", {})[kind.name] = kind
    _bind(app.extensions["celery"], kind)


def _bind(celery: Celery, kind: JobKind) -> None:
    @wraps(kind.function)
    def task(*args):
        return _run(kind.function, *args)

    celery.task(name=kind.name)(task)
    if kind.every_s:
        celery.conf.beat_schedule[kind.name] = {"task": kind.name, "schedule": kind.every_s}


def _run(function: Callable[..., object], *args):
    from .extensions import db

    result = function(*args)
    db.session.commit()
    return result


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
        beat_schedule={},  # filled by the domains' periodic jobs; run with: celery -A volunteer_app.worker beat
        timezone="Asia/Shanghai",
    )
    for kind in app.extensions.get("job_kinds", {}).values():  # a rebuilt queue keeps the registered jobs
        _bind(celery, kind)
    app.extensions["celery"] = celery
    return celery


def enqueue(name: str, *args) -> None:
    """Queue a registered job (after the rows it reads are committed, so a worker can see them).

    Without a broker (the embedded default) the job runs in a background
    thread of this process, so a coordinator sees the same progress page as
    with Celery instead of a spinning browser; ``ROSTER_JOBS_IN_BACKGROUND=0``
    runs it here and now (tests that are not about the progress use that).
    A thread lost with its process is marked failed like a lost worker.
    """
    if current_app.config.get("REDIS_URL"):
        current_app.extensions["celery"].send_task(name, args=list(args))
        return
    function = current_app.extensions["job_kinds"][name].function
    if current_app.config.get("ROSTER_JOBS_IN_BACKGROUND"):
        app = current_app._get_current_object()

        def work() -> None:
            with app.app_context():
                _run(function, *args)

        threading.Thread(target=work, name=f"{name}-{'-'.join(map(str, args))}", daemon=True).start()
    else:
        _run(function, *args)
