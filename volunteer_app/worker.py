"""Entry point for Celery workers: ``celery -A volunteer_app.worker worker``.

Builds the app from the environment (``DATABASE_URL``, ``REDIS_URL``), so a
worker on another machine needs only the same settings as the web processes.
"""
from . import create_app

flask_app = create_app()  # not named ``app``: Celery would take it for its own app
celery = flask_app.extensions["celery"]
