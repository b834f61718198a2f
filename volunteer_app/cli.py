"""Operations commands: ``flask --app wsgi token create``, ``seed-demo``, ``quickstart``."""
from contextlib import contextmanager

import click
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from flask_migrate import upgrade
from werkzeug.serving import run_simple
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
    base = f"http://{host}:{port}"
    for line in login_help(base):
        click.echo(line)
    click.echo(f"Serving on {base}/  (Ctrl+C to stop)")
    # Flask refuses app.run() inside its own CLI; werkzeug's server is what `flask run` uses.
    run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False)


def login_help(base: str) -> list[str]:
    """How residents and volunteers log in here, for the quickstart's output: by phone, and where the codes
    go when no SMS is configured (the demo's numbers are on their records: 台账)."""
    from .portal.phone_login import DEVELOPMENT, SMS, code_delivery

    delivery = code_delivery()
    lines = ["Residents and volunteers log in with their mobile number (the demo's volunteer1 and resident1 "
             "with their password too): the login page sends them a 6-digit code."]
    if delivery == DEVELOPMENT:
        lines.append(f"No SMS is configured (development mode): each code is written to this server's log "
                     f"and shown to admins on {base}/login-codes.")
    elif delivery == SMS:
        lines.append("Codes go by SMS (template kind login_code).")
    else:
        lines.append("Codes cannot be sent: give SMS_TEMPLATES a login_code template (see docs/deploy.md).")
    return lines


@click.group("holidays")
def holidays_cli():
    """Official holidays and 调休 days the calendar package does not know yet."""


@holidays_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def holidays_import(path: str):
    """Load 'date,holiday|workday,name' lines; all or nothing."""
    from .holidays.service import import_overrides

    with open(path, encoding="utf-8") as source, domain_errors_as_click():
        count = import_overrides(source.read())
    db.session.commit()
    click.echo(f"{count} days imported")


@contextmanager
def domain_errors_as_click():
    """A refused input reads as a one-line CLI error, not a traceback."""
    from .errors import DomainError

    try:
        yield
    except DomainError as exc:
        db.session.rollback()
        details = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in exc.errors.items())
        raise click.ClickException(f"{exc.message} ({details})" if details else exc.message) from exc


@click.group("roster")
def roster_cli():
    """Weekly roster planning from the command line."""


def _communities(code: str | None):
    from .places.models import Community

    statement = select(Community).order_by(Community.code)
    if code:
        statement = statement.where(Community.code == code)
    communities = db.session.scalars(statement).all()
    if not communities:
        raise click.ClickException(f"no community {code!r}" if code else "no communities")
    return communities


@roster_cli.command("plan")
@click.option("--week", required=True, help="ISO week, e.g. 2026-W49")
@click.option("--community", "code", help="community code; all communities when omitted")
@click.option("--publish", is_flag=True, help="publish each week that planned successfully")
def roster_plan(week: str, code: str | None, publish: bool):
    """Plan the week for each community (one background job each) and print a summary."""
    import time

    from . import jobs
    from .accounts.policy import Actor
    from .roster import service
    from .roster.models import JobStatus

    system = Actor.system()
    started = time.monotonic()
    planned = []
    for community in _communities(code):
        with domain_errors_as_click():
            job = service.request_plan(system, service.week_for(system, community.id, week))
        db.session.commit()
        planned.append((community, job.id))
    for _, job_id in planned:
        jobs.enqueue(service.PLAN_JOB, job_id)
    click.echo(f"{'community':<12} {'status':<10} {'coverage':>9} {'bound':>7} {'unfilled':>8} {'seconds':>8}")
    failed = 0
    for community, job_id in planned:
        while True:
            db.session.expire_all()
            job = service.get_job(system, job_id)
            if job.status in (JobStatus.succeeded, JobStatus.failed):
                break
            time.sleep(0.5)
        if job.status == JobStatus.failed:
            failed += 1
            click.echo(f"{community.code:<12} {'failed':<10} {job.error}")
            continue
        summary = job.summary
        click.echo(f"{community.code:<12} {summary['status']:<10} {summary['scores']['coverage']:>9} "
                   f"{summary['bound']['coverage']:>7} {summary['unfilled']:>8} {job.elapsed_s:>8.2f}")
        if publish:
            week_row = job.week
            service.publish(system, week_row, week_row.version, note=_l("Published from the command line"))
        db.session.commit()
    click.echo(f"total {time.monotonic() - started:.2f} s for {len(planned)} communities")
    if failed:
        raise SystemExit(1)


@roster_cli.command("remind")
def roster_remind():
    """Notify everyone serving tomorrow (idempotent; run it daily or hourly)."""
    from .roster.service import send_todays_reminders

    sent = send_todays_reminders()
    db.session.commit()
    click.echo(f"{sent} reminders sent")


@roster_cli.command("callout-waves")
def roster_callout_waves():
    """Send the emergency call-outs' waves that are due (run it every minute from cron, without Celery)."""
    from .roster.urgent import advance_due_waves

    invited = advance_due_waves()
    db.session.commit()
    click.echo(f"{invited} volunteers called")


@roster_cli.command("export-problem")
@click.option("--week", required=True, help="ISO week, e.g. 2026-W49")
@click.option("--community", "code", required=True, help="community code")
def roster_export_problem(week: str, code: str):
    """Print the week's roster problem as JSON (spec roster-problem/1)."""
    import json

    from .accounts.policy import Actor
    from .roster import service
    from .roster.problem import build_problem, live_pairs

    community = _communities(code)[0]
    with domain_errors_as_click():
        week_row = service.week_for(Actor.system(), community.id, week)
    document, warnings = build_problem(week_row, live_pairs(week_row))
    db.session.commit()  # the week and its shifts, created on first use
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(json.dumps(document, ensure_ascii=False, indent=1))


def init_app(app: Flask) -> None:
    for command in (token_cli, seed_demo, quickstart, holidays_cli, roster_cli):
        app.cli.add_command(command)
