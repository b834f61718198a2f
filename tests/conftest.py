"""Test fixtures: one real database per run (SQLite file, or PostgreSQL when
``TEST_DATABASE_URL`` says so), built by the Alembic migrations themselves and
emptied between tests."""
import os
import uuid
from pathlib import Path

import pytest

pytest.register_assert_rewrite("tests.support")  # their asserts explain themselves as the tests' own do

from flask.testing import FlaskClient  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import text  # noqa: E402

from tests.support.database import empty_all_tables  # noqa: E402
from volunteer_app import create_app  # noqa: E402
from volunteer_app.config import normalise_database_url  # noqa: E402
from volunteer_app.extensions import db  # noqa: E402

pytest_plugins = ["tests.support.factories", "tests.support.policy_matrix"]


def _database_url(tmp_root: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return f"sqlite:///{tmp_root / 'test.db'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return _database_url(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def is_postgres(database_url) -> bool:
    return database_url.startswith("postgresql")


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (its own ``g`` and session), as in production.

    Without this, requests reuse the test's app context and leak ``g`` (the
    logged-in user, the scope) from one request into the next.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-" + uuid.uuid4().hex,
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "INSTANCE_FOR_TESTS": str(instance),
        "ROSTER_JOBS_IN_BACKGROUND": False,  # plans finish inside the request; the progress tests turn it on
    })
    app.test_client_class = FreshContextClient
    with app.app_context():
        if database_url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
    yield app
    with app.app_context():  # close the pool's connections now, not in the garbage collector after pytest ends
        db.session.remove()
        db.engine.dispose()


@pytest.fixture()
def app_ctx(app):
    """An app context over an empty database."""
    from volunteer_app.extensions import limiter

    with app.app_context():
        limiter.reset()
        empty_all_tables()
        yield app
        db.session.remove()


@pytest.fixture()
def client(app_ctx):
    return app_ctx.test_client()
