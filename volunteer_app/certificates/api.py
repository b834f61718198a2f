"""REST endpoints of service-record certificates (thin: the rules are in service.py)."""
import io

from flask import send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from ..accounts.policy import current_actor
from ..resources import ID_IN_URL, commit, page_schema
from ..spreadsheets import XLSX_MIME
from . import documents, schemas, service

blp = Blueprint("certificates", __name__, description="志愿服务记录证明: volunteers apply for a certificate of a "
                                                     "period; coordinators accept, issue, reject, revoke, correct")

ONE = f"/certificates/<{ID_IN_URL}:certificate_id>"
BINARY = {"type": "string", "format": "binary"}


@blp.route("/certificates")
class Certificates(MethodView):
    @blp.arguments(schemas.CertificateQuery, location="query")
    @blp.response(200, page_schema(schemas.CertificateSchema))
    def get(self, args):
        """Certificates you read (a volunteer: their own), newest first"""
        return service.certificates(current_actor(), args)

    @blp.arguments(schemas.CertificateApplyIn)
    @blp.response(201, schemas.CertificateSchema)
    def post(self, data):
        """Apply for a certificate of a period (free of charge); staff may apply for a volunteer they manage

        409 ``already_applied`` when the same period waits already.
        """
        record = service.apply(current_actor(), data)
        commit()
        return record


@blp.route(ONE)
class OneCertificate(MethodView):
    @blp.response(200, schemas.CertificateSchema)
    def get(self, certificate_id):
        """One certificate; once issued, ``facts`` holds everything it says"""
        return service.certificate(current_actor(), certificate_id)


def _decision(path: str, in_schema, action, summary: str):
    """``POST /certificates/<id>/<path>``: one step of the certificate's life."""

    def post(self, data, certificate_id):
        record = action(current_actor(), certificate_id, data)
        commit()
        return record

    post.__doc__ = summary
    view = type(f"Certificate{path.title()}", (MethodView,), {
        "post": blp.arguments(in_schema)(blp.response(200, schemas.CertificateSchema)(post))})
    blp.route(f"{ONE}/{path}")(view)


_decision("accept", schemas.CertificateDecisionIn, service.accept, "Accept (受理) an application")
_decision("reject", schemas.CertificateReasonIn, service.reject, "Refuse an application, with the reason the volunteer reads")
_decision("issue", schemas.CertificateIssueIn, service.issue, "Issue (出具): number the certificate and freeze its facts\n\n"
          "422 ``issuer_not_set`` before the community's issuer is set; ``nothing_served`` for a period without "
          "attended service.")
_decision("revoke", schemas.CertificateReasonIn, service.revoke, "Revoke an issued certificate; its verification says so")


@blp.route(f"{ONE}/correct")
class Correct(MethodView):
    @blp.arguments(schemas.CertificateCorrectIn)
    @blp.response(201, schemas.CertificateSchema)
    def post(self, data, certificate_id):
        """Correct an issued certificate: it is revoked, and the new one (answered) gets the next number"""
        record = service.correct(current_actor(), certificate_id, data)
        commit()
        return record


@blp.route(f"{ONE}/pdf")
class Pdf(MethodView):
    @blp.response(200, BINARY, content_type=documents.PDF_MIME)
    @blp.alt_response(409, description="not issued")
    def get(self, certificate_id):
        """The certificate as a PDF with its verification QR code (issued or revoked certificates)"""
        record = service.printable(current_actor(), certificate_id)
        return send_file(io.BytesIO(documents.certificate_pdf(record)), mimetype=documents.PDF_MIME,
                         as_attachment=True, download_name=f"志愿服务记录证明-{record.number}.pdf")


@blp.route("/certificates/register.xlsx")
class Register(MethodView):
    @blp.arguments(schemas.CertificateRegisterArgs, location="query")
    @blp.response(200, BINARY, content_type=XLSX_MIME)
    def get(self, args):
        """The register of issued certificates (出具登记) of the communities you manage, in number order"""
        data = documents.register_workbook(service.register(current_actor(), args.get("community_id")))
        return send_file(io.BytesIO(data), mimetype=XLSX_MIME, as_attachment=True,
                         download_name="志愿服务记录证明登记.xlsx")


@blp.route(f"/communities/<{ID_IN_URL}:community_id>/certificate-issuer")
class Issuer(MethodView):
    @blp.response(200, schemas.CertificateIssuerSchema)
    @blp.alt_response(404, description="not set yet, or not a community you manage")
    def get(self, community_id):
        """Who issues the community's certificates"""
        return service.issuer_or_404(current_actor(), community_id)

    @blp.arguments(schemas.CertificateIssuerIn)
    @blp.response(200, schemas.CertificateIssuerSchema)
    def put(self, data, community_id):
        """Set who issues the community's certificates (certificates already issued keep their facts)"""
        record = service.set_issuer(current_actor(), community_id, data)
        commit()
        return record

