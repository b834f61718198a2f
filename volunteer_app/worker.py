"""Entry point for Celery workers: ``celery -A volunteer_app.worker worker``.

Builds the app from the environment (``DATABASE_URL``, ``REDIS_URL``), so a
worker on another machine needs only the same settings as the web processes.
"""
from . import create_app

app = create_app()
celery = app.extensions["celery"]
