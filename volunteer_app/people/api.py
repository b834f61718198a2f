"""REST endpoints of the people registry (thin: the rules are in service.py)."""
from flask.views import MethodView
from flask_smorest import Blueprint

from ..accounts.policy import current_actor
from ..resources import commit, register_crud, update_schema_for
from . import schemas, service

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
