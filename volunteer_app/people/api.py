"""REST endpoints of the people registry (thin: the rules are in service.py)."""
from flask.views import MethodView
from flask_smorest import Blueprint

from ..accounts.policy import current_actor
from ..resources import commit, register_crud, update_schema_for
from . import contact, schemas, service

blp = Blueprint("people", __name__, description="志愿者, 在职党员报到, 居民, skills, service hours")

for url, svc, out, inp, query in (
    ("/skills", service.skills, schemas.SkillSchema, schemas.SkillIn, schemas.PageArgs),
    ("/volunteers", service.volunteers, schemas.VolunteerSchema, schemas.VolunteerIn, schemas.VolunteerQuery),
    ("/party-reports", service.party_reports, schemas.PartyReportSchema, schemas.PartyReportIn, schemas.PartyReportQuery),
    ("/residents", service.residents, schemas.ResidentSchema, schemas.ResidentIn, schemas.ResidentQuery),
    ("/service-logs", service.service_logs, schemas.ServiceLogSchema, schemas.ServiceLogIn, schemas.ServiceLogQuery),
):
    register_crud(blp, url, svc, out, inp, query, update_schema_for(inp))


@blp.route("/me/ranking-consent")
class RankingConsent(MethodView):
    @blp.arguments(schemas.RankingConsentIn)
    @blp.response(200, schemas.VolunteerSchema)
    def put(self, data):
        """Your own choice to be named among top volunteers in published reports (off by default)"""
        volunteer = service.set_ranking_consent(current_actor(), data["show_in_rankings"], data["version"])
        commit()
        return volunteer


@blp.route("/phone-reveals")
class PhoneReveals(MethodView):
    @blp.arguments(schemas.PhoneRevealIn)
    @blp.response(200, schemas.PhoneRevealSchema, headers={"Cache-Control": {
        "description": "no-store: the number is kept by no cache", "schema": {"type": "string"}}})
    def post(self, data):
        """Reveal one full phone number where a page's task needs it (audited)

        Lists mask numbers. Staff see the number of someone they manage whom the page's record calls
        for (a call-out's invited volunteer, a request's resident …); anyone else is 404. Every reveal
        writes an audit row (action "reveal": who, whose number, when, which page).
        """
        data["phone"] = contact.reveal_phone(current_actor(), data["purpose"], data["record_id"], data["person_id"])
        commit()
        return data, 200, {"Cache-Control": "no-store"}
