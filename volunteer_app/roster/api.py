"""REST endpoints of the weekly roster (thin: the rules are in service.py)."""
from flask import Response, url_for
from flask.views import MethodView
from flask_login import current_user
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from sqlalchemy import select

from ..clock import now_local
from .. import jobs
from ..accounts.auth import require_role
from ..accounts.models import Role
from ..accounts.scoping import current_scope
from ..errors import NotFound
from ..extensions import db
from ..resources import ID_IN_URL, commit, page_schema, paginate, register_crud, update_schema_for
from ..people.service import skills_by_code
from . import exports, schemas, service, urgent
from .models import Assignment, PairRuleKind, PlanJob, RosterWeek
from .problem import build_problem

blp = Blueprint("roster", __name__, description="Duty templates, weekly planning, review, publish, answers")

register_crud(blp, "/shift-templates", service.templates, schemas.TemplateSchema, schemas.TemplateIn,
              schemas.TemplateQuery, update_schema_for(schemas.TemplateIn))
register_crud(blp, "/roster/demands", service.demands, schemas.DemandSchema, schemas.DemandCreate,
              schemas.DemandQuery, update_schema_for(schemas.DemandIn))

COORDINATORS = (Role.admin, Role.coordinator)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def start_job(week: RosterWeek, purpose: str) -> PlanJob:
    require_role(*COORDINATORS)
    job = service.request_plan(week, current_user, purpose)
    commit()
    jobs.enqueue(service.PLAN_JOB, job.id)
    db.session.expire_all()
    return db.session.get(PlanJob, job.id)


def week_view(week: RosterWeek) -> dict:
    names = {}
    live = db.session.scalars(select(Assignment).where(Assignment.week_id == week.id)
                              .order_by(Assignment.demand_id, Assignment.id)).all()
    for assignment in live:
        names[assignment.volunteer_id] = assignment.volunteer.name
    draft = sorted(service.draft_pairs(week))
    from ..people.models import Volunteer

    missing = {v for _, v in draft} - set(names)
    if missing:
        names.update(db.session.execute(select(Volunteer.id, Volunteer.name).where(Volunteer.id.in_(missing))).all())
    return {
        "id": week.id, "community_id": week.community_id, "week": week.week, "status": week.status,
        "version": week.version, "published_version": week.published_version, "draft_scores": week.draft_scores,
        "draft_unfilled": week.draft_unfilled, "demands": week.demands,
        "draft": [{"demand_id": d, "volunteer_id": v, "volunteer_name": names[v]} for d, v in draft],
        "changes_to_publish": service.draft_summary(week).changes_to_publish,
        "live": live,
    }


@blp.route("/roster/plan")
class Plan(MethodView):
    @blp.arguments(schemas.PlanIn)
    @blp.response(202, schemas.JobSchema)
    def post(self, data):
        """Plan a community's ISO week in the background (shifts come from the templates)"""
        require_role(*COORDINATORS)
        week = service.week_for(data["community_id"], data["week"])
        return start_job(week, "plan")


@blp.route(f"/roster/jobs/<{ID_IN_URL}:job_id>")
class Job(MethodView):
    @blp.response(200, schemas.JobSchema)
    def get(self, job_id):
        """Progress of a plan: stage, best coverage so far, elapsed seconds"""
        job = service.refresh_job(service.get_job(job_id))
        commit()
        return job


@blp.route("/roster/weeks")
class Weeks(MethodView):
    @blp.arguments(schemas.WeekQuery, location="query")
    @blp.response(200, page_schema(schemas.WeekListSchema))
    def get(self, args):
        """Roster weeks in your scope"""
        statement = select(RosterWeek).where(current_scope().clause(RosterWeek)).order_by(RosterWeek.week.desc())
        if args.get("community_id"):
            statement = statement.where(RosterWeek.community_id == args["community_id"])
        if args.get("week"):
            statement = statement.where(RosterWeek.week == args["week"])
        return paginate(statement, args["page"], args["per_page"])


@blp.route(f"/roster/weeks/<{ID_IN_URL}:week_id>")
class Week(MethodView):
    @blp.response(200, schemas.WeekSchema)
    def get(self, week_id):
        """A week: demands, the draft with unfilled reasons, and the live roster"""
        return week_view(service.get_week(week_id))


@blp.route(f"/roster/weeks/<{ID_IN_URL}:week_id>/rules")
class Rules(MethodView):
    @blp.arguments(schemas.RuleIn)
    @blp.response(200, schemas.WeekSchema)
    def post(self, data, week_id):
        """Pin, forbid or clear one (demand, volunteer) pair in the draft"""
        require_role(*COORDINATORS)
        week = service.get_week(week_id)
        kind = None if data["kind"] == "clear" else PairRuleKind(data["kind"])
        service.set_rule(week, data["demand_id"], data["volunteer_id"], kind, data["reason"])
        commit()
        return week_view(week)


@blp.route(f"/roster/weeks/<{ID_IN_URL}:week_id>/reask")
class Reask(MethodView):
    @blp.arguments(schemas.ReaskIn)
    @blp.response(200, schemas.WeekSchema)
    def post(self, data, week_id):
        """Ask a volunteer who declined a duty once more: recorded, drafted, and to be confirmed after publishing"""
        require_role(*COORDINATORS)
        week = service.get_week(week_id)
        service.reask(week, data["demand_id"], data["volunteer_id"], current_user)
        commit()
        return week_view(week)


@blp.route(f"/roster/weeks/<{ID_IN_URL}:week_id>/move")
class Move(MethodView):
    @blp.arguments(schemas.MoveIn)
    @blp.response(200, schemas.WeekSchema)
    def post(self, data, week_id):
        """Give a drafted place to another volunteer"""
        require_role(*COORDINATORS)
        week = service.get_week(week_id)
        service.move(week, data["demand_id"], data["from_volunteer_id"], data["to_volunteer_id"])
        commit()
        return week_view(week)


@blp.route(f"/roster/weeks/<{ID_IN_URL}:week_id>/resolve")
class Resolve(MethodView):
    @blp.response(202, schemas.JobSchema)
    def post(self, week_id):
        """Re-solve from the edited draft: only the affected part changes"""
        return start_job(service.get_week(week_id), "resolve")


@blp.route(f"/roster/weeks/<{ID_IN_URL}:week_id>/publish")
class Publish(MethodView):
    @blp.arguments(schemas.PublishIn)
    @blp.response(201, schemas.VersionSchema)
    def post(self, data, week_id):
        """Publish the draft atomically as the next version (409 if the week changed meanwhile)"""
        require_role(*COORDINATORS)
        version = service.publish(service.get_week(week_id), data["version"], current_user, data["note"])
        commit()
        return version


@blp.route(f"/roster/weeks/<{ID_IN_URL}:week_id>/versions")
class Versions(MethodView):
    @blp.response(200, schemas.VersionSchema(many=True))
    def get(self, week_id):
        """Published versions, newest first, each with what it added and removed"""
        return service.versions(service.get_week(week_id))


@blp.route(f"/roster/weeks/<{ID_IN_URL}:week_id>/problem")
class Problem(MethodView):
    @blp.response(200, schemas.RosterProblemSchema)
    def get(self, week_id):
        """The week's roster problem in the spec's format (roster-problem/1)"""
        week = service.get_week(week_id)
        document, _ = build_problem(week, service.live_pairs(week))
        return document


@blp.route("/my/assignments")
class MyAssignments(MethodView):
    @blp.arguments(schemas.MyQuery, location="query")
    @blp.response(200, schemas.AssignmentSchema(many=True))
    def get(self, args):
        """Your published assignments (volunteers)"""
        if current_user.volunteer_id is None:
            return []
        return service.my_assignments(current_user.volunteer_id, args.get("week"))


@blp.route(f"/my/assignments/<{ID_IN_URL}:assignment_id>/answer")
class Answer(MethodView):
    @blp.arguments(schemas.AnswerIn)
    @blp.response(200, schemas.AnswerOut)
    def post(self, data, assignment_id):
        """Confirm, or decline with a reason (starts a re-plan that keeps the others)"""
        job = service.answer(current_user, assignment_id, data["version"], data["confirm"], data["reason"])
        commit()
        if job is not None:
            jobs.enqueue(service.PLAN_JOB, job.id)
        db.session.expire_all()
        return {"assignment": db.session.get(Assignment, assignment_id), "replan_job_id": job.id if job else None}


@blp.route(f"/roster/weeks/<{ID_IN_URL}:week_id>/export.xlsx")
class WeekWorkbook(MethodView):
    @blp.response(200, {"type": "string", "format": "binary"},
                  content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    def get(self, week_id):
        """The live week as a printable workbook: a sheet per station and one for tasks"""
        week = service.get_week(week_id)
        return Response(exports.week_workbook(week), mimetype=XLSX, headers={
            "Content-Disposition": f"attachment; filename=roster-{week.week}.xlsx"})


@blp.route("/roster/callouts")
class CallOuts(MethodView):
    @blp.arguments(schemas.CallOutIn)
    @blp.response(201, schemas.CallOutSchema)
    def post(self, data):
        """Emergency call-out: rank the nearest available qualified volunteers and call them now"""
        require_role(*COORDINATORS)
        community_id = data.pop("community_id")
        if "skills" in data:
            data["skills"] = [s.code for s in skills_by_code(data["skills"])]
        callout = urgent.create_callout(community_id, data, current_user)
        commit()
        return callout


@blp.route(f"/roster/callouts/<{ID_IN_URL}:callout_id>")
class CallOutItem(MethodView):
    @blp.response(200, schemas.CallOutSchema)
    def get(self, callout_id):
        """A call-out with its invitations and answers (sending its next wave if that is due)"""
        callout = urgent.callout_in_scope(callout_id)
        urgent.advance_wave(callout)
        commit()
        return callout

    @blp.response(200, schemas.CallOutSchema)
    def delete(self, callout_id):
        """Close a call-out that is no longer needed"""
        require_role(*COORDINATORS)
        callout = urgent.callout_in_scope(callout_id)
        urgent.close_callout(callout)
        commit()
        return callout


@blp.route(f"/roster/callouts/<{ID_IN_URL}:callout_id>/widen")
class CallOutWiden(MethodView):
    @blp.arguments(schemas.CallOutWidenIn)
    @blp.response(200, schemas.CallOutSchema)
    def post(self, data, callout_id):
        """Too few in reach: widen the radius or drop the skills; the newly reachable are called at once"""
        require_role(*COORDINATORS)
        callout = urgent.callout_in_scope(callout_id)
        urgent.widen_callout(callout, data)
        commit()
        return callout


@blp.route(f"/my/callouts/<{ID_IN_URL}:callout_id>/answer")
class CallOutAnswer(MethodView):
    @blp.arguments(schemas.CallOutAnswerIn)
    @blp.response(200, schemas.InviteSchema)
    def post(self, data, callout_id):
        """Answer a call-out; the first to accept are assigned (too_late once it is filled)"""
        invite = urgent.answer_callout(current_user, callout_id, data["accept"])
        commit()
        return invite


@blp.route(f"/my/assignments/<{ID_IN_URL}:assignment_id>/swap")
class Swap(MethodView):
    @blp.arguments(schemas.SwapIn)
    @blp.response(201, schemas.SwapSchema)
    def post(self, data, assignment_id):
        """Ask to hand an assignment to a colleague (the coordinator approves)"""
        swap = urgent.request_swap(current_user, assignment_id, data["to_volunteer_id"], data["note"])
        commit()
        return swap


@blp.route(f"/roster/weeks/<{ID_IN_URL}:week_id>/swaps")
class WeekSwaps(MethodView):
    @blp.response(200, schemas.SwapSchema(many=True))
    def get(self, week_id):
        """Swap requests of a week, newest first"""
        return urgent.swaps_for_week(service.get_week(week_id))


@blp.route(f"/roster/swaps/<{ID_IN_URL}:swap_id>/decision")
class SwapDecision(MethodView):
    @blp.arguments(schemas.DecisionIn)
    @blp.response(200, schemas.SwapSchema)
    def post(self, data, swap_id):
        """Approve (hands the place over, a new version) or reject a swap"""
        require_role(*COORDINATORS)
        swap = urgent.get_swap(swap_id)
        service.get_week(swap.assignment.week_id)  # 404 outside the scope
        urgent.decide_swap(swap, data["approve"], current_user)
        commit()
        return swap


@blp.route("/my/calendar-feed")
class CalendarFeedUrl(MethodView):
    @blp.response(201, schemas.FeedSchema)
    def post(self):
        """Create (or replace) your secret iCalendar feed URL"""
        if current_user.volunteer_id is None:
            raise NotFound(_l("You have no volunteer record."), code="no_volunteer_record")
        from ..people.models import Volunteer

        token = exports.rotate_feed(db.session.get(Volunteer, current_user.volunteer_id))
        commit()
        return {"url": url_for("feeds.calendar", token=token, _external=True)}


@blp.route(f"/roster/assignments/<{ID_IN_URL}:assignment_id>/served")
class Served(MethodView):
    @blp.arguments(schemas.ServedIn)
    @blp.response(200, schemas.AssignmentSchema)
    def post(self, data, assignment_id):
        """考勤: mark a duty as done (service hours and points, once) or take the mark back"""
        require_role(*COORDINATORS)
        assignment = service.mark_served(assignment_id, data["served"], now_local().date())
        commit()
        return assignment
