"""Counting the SQL statements a block of code sends: the honest, timing-free test of N+1 reads."""
from contextlib import contextmanager

from sqlalchemy import event

from volunteer_app.extensions import db


@contextmanager
def counted_statements():
    """Yield a list that collects every statement sent to the database inside the block."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
