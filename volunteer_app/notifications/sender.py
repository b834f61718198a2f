"""Delivery right after a commit: a queued Celery task in city mode, one sender thread per process in embedded mode.

Without this the outbox would wait for the next beat (a minute); with it a
call-out's SMS leaves as soon as the call-out is committed.
"""
import threading

from flask import Flask

from ..extensions import db
from .service import deliver_pending, seconds_until_due

DELIVER_JOB = "notifications.deliver"
_STARTING = threading.Lock()  # one sender thread per app, however many requests commit at once


def _delivery_loop(app: Flask, wake: threading.Event) -> None:
    """Embedded mode's sender: deliver, sleep until the next retry is due or a commit wakes it, repeat."""
    while True:
        wake.clear()
        with app.app_context():
            try:
                deliver_pending()
                db.session.commit()
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
            app.extensions["celery"].send_task(DELIVER_JOB)
        except Exception:  # the change is committed; the next beat delivers it
            app.logger.exception("could not queue a delivery run")
        return
    if not app.config.get("NOTIFY_IN_BACKGROUND"):
        return
    with _STARTING:
        wake = app.extensions.get("delivery_wake")
        if wake is None:
            wake = app.extensions["delivery_wake"] = threading.Event()
            threading.Thread(target=_delivery_loop, args=(app, wake), name="outbox-delivery", daemon=True).start()
    wake.set()
