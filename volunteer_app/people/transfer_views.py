"""The 台账 import/export page (thin: the work is in the transfer package), and ``flask transfer write-templates``."""
from pathlib import Path

import click
from flask import Blueprint, render_template
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import BooleanField

from ..accounts import policy
from ..errors import InvalidInput
from ..extensions import db
from ..places.models import Community
from ..resources import commit
from . import transfer
from ..accounts.policy import current_actor

bp = Blueprint("transfer_pages", __name__, url_prefix="/io", cli_group="transfer")


class ImportForm(FlaskForm):
    file = FileField("file", validators=[FileRequired()])
    dry_run = BooleanField("dry_run")


def _page(form: ImportForm, active: str | None = None, result=None, problem: InvalidInput | None = None, status=200):
    actor = current_actor()
    for kind in transfer.KINDS.values():
        kind.service.require_writer(actor)
    communities = select(Community).where(policy.where(actor, "places.read", Community)).order_by(Community.code)
    return render_template("io/index.html", form=form, kinds=list(transfer.KINDS.values()), active=active,
                           result=result, problem=problem, communities=db.session.scalars(communities).all(),
                           may_export_full=policy.may(actor, "phones.export_full")), status


@bp.get("/")
@login_required
def index():
    return _page(ImportForm())


@bp.post("/import/<any(volunteers, residents):kind>")
@login_required
def upload(kind: str):
    form = ImportForm()
    if not form.validate_on_submit():
        return _page(form, kind, status=400)
    try:
        result = transfer.import_file(current_actor(), transfer.kind_named(kind), form.file.data.read(), form.dry_run.data)
    except InvalidInput as problem:
        return _page(form, kind, problem=problem, status=problem.status)
    if not result.dry_run:
        commit()
    return _page(ImportForm(formdata=None), kind, result=result)


@bp.cli.command("write-templates")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=transfer.TEMPLATE_DIR,
              show_default=True, help="directory to write into")
def write_templates(out: Path):
    """Write the empty import templates and the sample files (same code, same files)."""
    for path in transfer.write_templates(out):
        click.echo(path)
