"""A row lock held elsewhere (a long report, an admin's psql) does not stall a worker: after
DB_LOCK_TIMEOUT_MS the write answers 503 with Retry-After in the one error shape, and nothing is written."""
import sqlite3
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from volunteer_app.extensions import db
from volunteer_app.people.models import Volunteer


@contextmanager
def row_locked_elsewhere(database_url: str, volunteer_id: int):
    """Another connection holds the volunteer's row (PostgreSQL) or the write lock (SQLite) until the block ends."""
    if database_url.startswith("sqlite"):
        holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    engine = create_engine(database_url, poolclass=NullPool)
    with engine.connect() as holder:
        holder.execute(text("SELECT id FROM volunteers WHERE id = :id FOR UPDATE"), {"id": volunteer_id})
        try:
            yield
        finally:
            holder.rollback()
    engine.dispose()


def test_a_write_behind_a_held_lock_answers_503_with_retry_after(database_url, make_volunteer, admin_api):
    volunteer = make_volunteer(name="王芳")
    db.session.commit()
    with row_locked_elsewhere(database_url, volunteer.id):  # held until after the answer: only the timeout ends the wait
        response = admin_api.patch(f"/volunteers/{volunteer.id}", json={"version": volunteer.version, "name": "王芳芳"})
    assert response.status_code == 503, response.json
    assert response.json["error"] == "database_busy" and response.headers["Retry-After"] == "5"
    db.session.expire_all()
    assert db.session.get(Volunteer, volunteer.id).name == "王芳"
    again = admin_api.patch(f"/volunteers/{volunteer.id}", json={"version": volunteer.version, "name": "王芳芳"})
    assert again.status_code == 200  # once the lock is gone the same write goes through


def test_the_health_check_does_not_wait_for_a_held_row(database_url, make_volunteer, client):
    volunteer = make_volunteer()
    db.session.commit()
    with row_locked_elsewhere(database_url, volunteer.id):
        response = client.get("/healthz")  # answered while the row is still held
    assert response.status_code == 200
