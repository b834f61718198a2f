"""``flask --app wsgi points verify``: check the ledger's invariants against the database."""
import click
from flask import Flask

from ..extensions import db


@click.group("points")
def points_cli():
    """The points ledger (积分账本)."""


@points_cli.command("verify")
def points_verify():
    """Every cached balance equals the sum of its entries, nothing is negative, the total is zero.

    Exits with status 1 and lists the problems otherwise (run it from cron or after a restore).
    """
    from ..accounts.policy import Actor
    from .service import check_books

    if db.engine.dialect.name == "postgresql":
        # One snapshot for every check, so transfers committed meanwhile cannot look like drift.
        db.session.rollback()  # a fresh transaction: the isolation level applies only at its start
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    report = check_books(Actor.system())
    db.session.rollback()
    if not report.ok:
        for problem in report.problems:
            click.echo(f"problem: {problem}", err=True)
        raise click.ClickException(f"{len(report.problems)} problem(s) in the ledger")
    click.echo(f"ok: {report.accounts} accounts, {report.transfers} transfers, total {report.total}")


def init_app(app: Flask) -> None:
    app.cli.add_command(points_cli)
