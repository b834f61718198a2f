"""Certificate pages, phone first: a volunteer applies and downloads; the coordinator reviews what the
records say, issues (or rejects), revokes or corrects, sets who issues, and exports the register; anyone
checks a certificate on the public verification page its QR code opens.

Thin like the API: forms become the dict the API's schema loads, the same service runs, the request
commits once, and a refusal comes back as form problems.
"""
import io

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ..accounts.policy import current_actor
from ..extensions import db, limiter
from ..labels import table
from ..places import service as places
from ..places.models import Community
from ..spreadsheets import XLSX_MIME
from ..views import RECORD_ID, load_query, no_store, save, scoped_options, staff_required
from . import documents, schemas, service

bp = Blueprint("certificate_pages", __name__)

#: How often one address may open verification pages: enough for a desk checking a pile, not for guessing.
VERIFY_LIMIT = "30 per minute"


@bp.context_processor
def certificate_helpers():
    return {"states": list(table("certificate_state")), "id_line": documents.id_line}


def _pdf(record):
    return send_file(io.BytesIO(documents.certificate_pdf(record)), mimetype=documents.PDF_MIME, as_attachment=True,
                     download_name=f"志愿服务记录证明-{record.number}.pdf")


# --- the volunteer's -----------------------------------------------------------------------------


@bp.route("/certificates/mine", methods=["GET", "POST"])
@login_required
def mine():
    """A volunteer's certificates and the form to apply for one."""
    actor = current_actor()
    if actor.is_staff:
        return redirect(url_for("certificate_pages.index"))
    problems, values = None, {"period_start": "", "period_end": "", "purpose": ""}
    if request.method == "POST":
        values = {key: request.form.get(key, "").strip() for key in values}
        data = {"period_start": values["period_start"] or None, "period_end": values["period_end"] or None,
                "purpose": values["purpose"]}
        _saved, problems = save(schemas.CertificateApplyIn(), data, lambda loaded: service.apply(actor, loaded))
        if problems is None:
            flash(_("Applied. The community will review your service records and issue the certificate."),
                  "success")
            return redirect(url_for("certificate_pages.mine"))
    page = service.certificates(actor, {"page": 1, "per_page": 50})
    return render_template("certificates/mine.html", page=page, values=values, problems=problems,
                           volunteer=actor.volunteer_id is not None), problems.status if problems else 200


@bp.get(f"/certificates/<{RECORD_ID}:certificate_id>/pdf")
@login_required
def pdf(certificate_id: int):
    return no_store(_pdf(service.printable(current_actor(), certificate_id)))


# --- the coordinator's ---------------------------------------------------------------------------


def community_options() -> list:
    return scoped_options(places.communities, Community.code)


@bp.get("/certificates")
@staff_required
def index():
    args = load_query(schemas.CertificateQuery())
    return render_template("certificates/index.html", page=service.certificates(current_actor(), args), args=args,
                           communities=community_options())


def render_certificate(record, problems=None, failed: str = "", status: int = 200):
    actor = current_actor()
    manages = service.may_manage(actor, record)
    preview = service.preview(actor, record.id) if manages and record.state in service.OPEN else None
    return render_template("certificates/certificate.html", record=record, preview=preview, manages=manages,
                           problems=problems, failed=failed, values=request.form,
                           verify_url=service.verify_url(record.number) if record.number else None), status


@bp.get(f"/certificates/<{RECORD_ID}:certificate_id>")
@staff_required
def certificate(certificate_id: int):
    return render_certificate(service.certificate(current_actor(), certificate_id))


#: The decisions of the certificate page: form name → (schema, service function, message, fields read).
DECISIONS = {
    "accept": (schemas.CertificateDecisionIn, service.accept, lambda r: _("Application accepted."), ()),
    "reject": (schemas.CertificateReasonIn, service.reject, lambda r: _("Application rejected."), ("reason",)),
    "issue": (schemas.CertificateIssueIn, service.issue, lambda r: _("Certificate %(number)s issued.", number=r.number),
              ("note",)),
    "revoke": (schemas.CertificateReasonIn, service.revoke, lambda r: _("Certificate %(number)s revoked.", number=r.number),
               ("reason",)),
    "correct": (schemas.CertificateCorrectIn, service.correct,
                lambda r: _("Certificate %(number)s issued in its place.", number=r.number),
                ("reason", "note", "period_start", "period_end")),
}


@bp.post(f"/certificates/<{RECORD_ID}:certificate_id>/<any({','.join(DECISIONS)}):decision>")
@staff_required
def decide(certificate_id: int, decision: str):
    actor = current_actor()
    record = service.managed(actor, certificate_id)
    schema, action, done, keys = DECISIONS[decision]
    # A blank field is a field not given: the schema's default, or its "required" message.
    given = {key: request.form.get(key, "").strip() for key in ("version", *keys)}
    data = {key: value for key, value in given.items() if value}
    saved, problems = save(schema(), data, lambda loaded: action(actor, certificate_id, loaded))
    if problems is None:
        flash(done(saved), "success")
        return redirect(url_for("certificate_pages.certificate", certificate_id=saved.id))
    db.session.expire_all()
    return render_certificate(service.certificate(actor, record.id), problems, decision, problems.status)


@bp.route("/certificates/issuer", methods=["GET", "POST"])
@staff_required
def issuer():
    """Who issues each community's certificates: name, person in charge, contact and the numbers' prefix."""
    actor = current_actor()
    communities = community_options()
    if not communities:
        return render_template("certificates/issuer.html", communities=[], community=None)
    chosen = request.values.get("community_id", "").strip()
    community = next((c for c in communities if str(c.id) == chosen), communities[0])
    record = service.issuer(actor, community.id)
    keys = ("name", "person_in_charge", "contact", "prefix", "version")
    values = {key: str(getattr(record, key)) for key in keys} if record else {}
    problems = None
    if request.method == "POST":
        values = {key: request.form.get(key, "").strip() for key in keys}
        _saved, problems = save(schemas.CertificateIssuerIn(), {key: value or None for key, value in values.items()},
                                lambda loaded: service.set_issuer(actor, community.id, loaded))
        if problems is None:
            flash(_("Issuer of %(community)s saved.", community=community.name), "success")
            return redirect(url_for("certificate_pages.issuer", community_id=community.id))
    return render_template("certificates/issuer.html", communities=communities, community=community, record=record,
                           values=values, problems=problems), problems.status if problems else 200


@bp.get("/certificates/register.xlsx")
@staff_required
def register():
    args = load_query(schemas.CertificateRegisterArgs())
    data = documents.register_workbook(service.register(current_actor(), args.get("community_id")))
    return send_file(io.BytesIO(data), mimetype=XLSX_MIME, as_attachment=True, download_name="志愿服务记录证明登记.xlsx")


# --- anyone's ------------------------------------------------------------------------------------


@bp.get("/certificates/verify/<string(maxlength=40):number>")
@limiter.limit(VERIFY_LIMIT)
def verify(number: str):
    """The public check of a certificate (no login): its facts, or that it was revoked, or that the link is
    not one we issued."""
    verified = service.verify(number, request.args.get("s", ""))
    return render_template("certificates/verify.html", verified=verified, number=number,
                           replaced_url=service.verify_url(verified.replaced_by)
                           if verified and verified.replaced_by else None), 200 if verified else 404

