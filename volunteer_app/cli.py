"""Operations commands: ``flask --app wsgi token create``, ``seed-demo``, ``quickstart``."""
import click
from flask import Flask, current_app
from flask_migrate import upgrade
from sqlalchemy import select

from .extensions import db


@click.group("token")
def token_cli():
    """API tokens for integrations."""


@token_cli.command("create")
@click.option("--user", "username", required=True, help="username the token acts as")
@click.option("--name", default="cli", show_default=True, help="label to recognise the token")
@click.option("--days", default=365, show_default=True, type=click.IntRange(0, 3650), help="validity; 0 = never expires")
def token_create(username: str, name: str, days: int):
    """Create a token and print it once; only its hash is stored."""
    from .accounts.models import User
    from .accounts.service import create_token

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user named {username!r}")
    plain, _ = create_token(user, name, days or None)
    db.session.commit()
    click.echo(plain)


@click.command("seed-demo")
def seed_demo():
    """Load the demo district (idempotent) and print the demo logins."""
    from .demo import seed

    created = seed(password=current_app.config.get("DEMO_PASSWORD"))
    db.session.commit()
    if created:
        click.echo("Demo data loaded. Logins (shown once):")
        for username, password in created.items():
            click.echo(f"  {username:<16} {password}")
    else:
        click.echo("Demo data already present; nothing changed.")


@click.command("quickstart")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def quickstart(host: str, port: int):
    """Apply migrations, load the demo data and serve the app (the embedded default)."""
    upgrade()
    current_app.cli.commands["seed-demo"].callback()
    click.echo(f"Serving on http://{host}:{port}/  (Ctrl+C to stop)")
    current_app.run(host=host, port=port, debug=False, use_reloader=False)


@click.group("holidays")
def holidays_cli():
    """Official holidays and 调休 days the calendar package does not know yet."""


@holidays_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def holidays_import(path: str):
    """Load 'date,holiday|workday,name' lines; all or nothing."""
    from .errors import InvalidInput
    from .holidays.service import import_overrides

    try:
        count = import_overrides(open(path, encoding="utf-8").read())
    except InvalidInput as exc:
        db.session.rollback()
        raise click.ClickException("; ".join(f"{k}: {', '.join(v)}" for k, v in exc.errors.items())) from exc
    db.session.commit()
    click.echo(f"{count} days imported")


def init_app(app: Flask) -> None:
    for command in (token_cli, seed_demo, quickstart, holidays_cli):
        app.cli.add_command(command)
