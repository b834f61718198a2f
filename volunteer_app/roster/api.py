"""REST endpoints of the weekly roster (thin: the rules are in service.py)."""
from flask import Response, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from .. import jobs
from ..accounts.policy import current_actor
from ..clock import now_local
from ..extensions import db
from ..models_base import utcnow
from ..people.models import Volunteer
from ..spreadsheets import XLSX_MIME as XLSX
from ..resources import ID_IN_URL, commit, page_schema, paginate, register_crud, update_schema_for
from . import exports, schemas, service, swaps, teams, urgent
from .models import Assignment, CallOut, PairRuleKind, PlanJob, RosterWeek
from .problem import build_problem, live_pairs

blp = Blueprint("roster", __name__, description="Duty templates, weekly planning, review, publish, answers")

register_crud(blp, "/shift-templates", service.templates, schemas.TemplateSchema, schemas.TemplateIn,
              schemas.TemplateQuery, update_schema_for(schemas.TemplateIn))
register_crud(blp, "/roster/demands", service.demands, schemas.DemandSchema, schemas.DemandCreate,
              schemas.DemandQuery, update_schema_for(schemas.DemandIn))



def start_job(week: RosterWeek, purpose: str) -> PlanJob:
    job = service.request_plan(current_actor(), week, purpose)
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
        return start_job(service.week_for(current_actor(), data["community_id"], data["week"]), "plan")


@blp.route(f"/roster/jobs/<{ID_IN_URL}:job_id>")
class Job(MethodView):
    @blp.response(200, schemas.JobSchema)
    def get(self, job_id):
        """Progress of a plan: stage, best coverage so far, elapsed seconds"""
        job = service.get_job(current_actor(), job_id)
        commit()
        return job


@blp.route("/roster/weeks")
class Weeks(MethodView):
    @blp.arguments(schemas.WeekQuery, location="query")
    @blp.response(200, page_schema(schemas.WeekListSchema))
    def get(self, args):
        """Roster weeks in your scope"""
        statement = service.weeks(current_actor(), args.get("community_id"), args.get("week"))
        return paginate(statement, args["page"], args["per_page"])


@blp.route(f"/roster/weeks/<{ID_IN_URL}:week_id>")
class Week(MethodView):
    @blp.response(200, schemas.WeekSchema)
    def get(self, week_id):
        """A week: demands, the draft with unfilled reasons, and the live roster"""
        return week_view(service.get_week(current_actor(), week_id))


@blp.route(f"/roster/weeks/<{ID_IN_URL}:week_id>/rules")
class Rules(MethodView):
    @blp.arguments(schemas.RuleIn)
    @blp.response(200, schemas.WeekSchema)
    def post(self, data, week_id):
        """Pin, forbid or clear one (demand, volunteer) pair in the draft"""
        actor = current_actor()
        week = service.get_week(actor, week_id)
        kind = None if data["kind"] == "clear" else PairRuleKind(data["kind"])
        service.set_rule(actor, week, data["demand_id"], data["volunteer_id"], kind, data["reason"])
        commit()
        return week_view(week)


@blp.route(f"/roster/weeks/<{ID_IN_URL}:week_id>/reask")
class Reask(MethodView):
    @blp.arguments(schemas.ReaskIn)
    @blp.response(200, schemas.WeekSchema)
    def post(self, data, week_id):
        """Ask a volunteer who declined a duty once more: recorded, drafted, and to be confirmed after publishing"""
        actor = current_actor()
        week = service.get_week(actor, week_id)
        service.reask(actor, week, data["demand_id"], data["volunteer_id"])
        commit()
        return week_view(week)


@blp.route(f"/roster/weeks/<{ID_IN_URL}:week_id>/move")
class Move(MethodView):
    @blp.arguments(schemas.MoveIn)
    @blp.response(200, schemas.WeekSchema)
    def post(self, data, week_id):
        """Give a drafted place to another volunteer"""
        actor = current_actor()
        week = service.get_week(actor, week_id)
        service.move(actor, week, data["demand_id"], data["from_volunteer_id"], data["to_volunteer_id"])
        commit()
        return week_view(week)


@blp.route(f"/roster/weeks/<{ID_IN_URL}:week_id>/resolve")
class Resolve(MethodView):
    @blp.response(202, schemas.JobSchema)
    def post(self, week_id):
        """Re-solve from the edited draft: only the affected part changes"""
        return start_job(service.get_week(current_actor(), week_id), "resolve")


@blp.route(f"/roster/weeks/<{ID_IN_URL}:week_id>/publish")
class Publish(MethodView):
    @blp.arguments(schemas.PublishIn)
    @blp.response(201, schemas.VersionSchema)
    def post(self, data, week_id):
        """Publish the draft atomically as the next version (409 if the week changed meanwhile)"""
        actor = current_actor()
        version = service.publish(actor, service.get_week(actor, week_id), data["version"], data["note"])
        commit()
        return version


@blp.route(f"/roster/weeks/<{ID_IN_URL}:week_id>/versions")
class Versions(MethodView):
    @blp.response(200, schemas.VersionSchema(many=True))
    def get(self, week_id):
        """Published versions, newest first, each with what it added and removed"""
        actor = current_actor()
        return service.versions(actor, service.get_week(actor, week_id))


@blp.route(f"/roster/weeks/<{ID_IN_URL}:week_id>/problem")
class Problem(MethodView):
    @blp.response(200, schemas.RosterProblemSchema)
    def get(self, week_id):
        """The week's roster problem in the spec's format (roster-problem/1)"""
        week = service.get_week(current_actor(), week_id)
        document, _ = build_problem(week, live_pairs(week))
        return document


@blp.route("/my/assignments")
class MyAssignments(MethodView):
    @blp.arguments(schemas.MyQuery, location="query")
    @blp.response(200, schemas.AssignmentSchema(many=True))
    def get(self, args):
        """Your published assignments (volunteers)"""
        return service.my_assignments(current_actor(), args.get("week"))


@blp.route(f"/my/assignments/<{ID_IN_URL}:assignment_id>/answer")
class Answer(MethodView):
    @blp.arguments(schemas.AnswerIn)
    @blp.response(200, schemas.AnswerOut)
    def post(self, data, assignment_id):
        """Confirm, or decline with a reason (starts a re-plan that keeps the others)"""
        job = service.answer(current_actor(), assignment_id, data["version"], data["confirm"], data["reason"])
        commit()
        if job is not None:
            jobs.enqueue(service.PLAN_JOB, job.id)
        db.session.expire_all()
        return {"assignment": db.session.get(Assignment, assignment_id), "replan_job_id": job.id if job else None}


@blp.route(f"/roster/weeks/<{ID_IN_URL}:week_id>/export.xlsx")
class WeekWorkbook(MethodView):
    @blp.response(200, {"type": "string", "format": "binary"},
                  content_type=XLSX)
    def get(self, week_id):
        """The live week as a printable workbook: a sheet per station and one for tasks"""
        actor = current_actor()
        week = service.get_week(actor, week_id)
        data = exports.week_workbook(actor, week)
        commit()  # the audit row of a workbook with full numbers
        return Response(data, mimetype=XLSX, headers={
            "Content-Disposition": f"attachment; filename=roster-{week.week}.xlsx", "Cache-Control": "no-store"})


@blp.route("/roster/callouts")
class CallOuts(MethodView):
    @blp.arguments(schemas.CallOutIn)
    @blp.response(201, schemas.CallOutSchema)
    def post(self, data):
        """Emergency call-out: rank the nearest available qualified volunteers and call them now"""
        callout = urgent.create_callout(current_actor(), data.pop("community_id"), data)
        commit()
        return callout


@blp.route(f"/roster/callouts/<{ID_IN_URL}:callout_id>")
class CallOutItem(MethodView):
    @blp.response(200, schemas.CallOutSchema)
    def get(self, callout_id):
        """A call-out with its invitations and answers (sending its next wave if that is due)"""
        callout = urgent.get_callout(current_actor(), callout_id)
        commit()
        return callout

    @blp.response(200, schemas.CallOutSchema)
    def delete(self, callout_id):
        """Close a call-out that is no longer needed"""
        callout = urgent.close_callout(current_actor(), callout_id)
        commit()
        return callout


@blp.route(f"/roster/callouts/<{ID_IN_URL}:callout_id>/widen")
class CallOutWiden(MethodView):
    @blp.arguments(schemas.CallOutWidenIn)
    @blp.response(200, schemas.CallOutSchema)
    def post(self, data, callout_id):
        """Too few in reach: widen the radius or drop the skills; the newly reachable are called at once"""
        urgent.widen_callout(current_actor(), callout_id, data)
        commit()
        return db.session.get(CallOut, callout_id)


@blp.route(f"/my/callouts/<{ID_IN_URL}:callout_id>/answer")
class CallOutAnswer(MethodView):
    @blp.arguments(schemas.CallOutAnswerIn)
    @blp.response(200, schemas.InviteSchema)
    def post(self, data, callout_id):
        """Answer a call-out; the first to accept are assigned (too_late once it is filled)"""
        invite = urgent.answer_callout(current_actor(), callout_id, data["accept"])
        commit()
        return invite


@blp.route(f"/my/assignments/<{ID_IN_URL}:assignment_id>/swap")
class Swap(MethodView):
    @blp.arguments(schemas.SwapIn)
    @blp.response(201, schemas.SwapSchema)
    def post(self, data, assignment_id):
        """Ask to hand an assignment to a colleague (the coordinator approves)"""
        swap = swaps.request_swap(current_actor(), assignment_id, data["to_volunteer_id"], data["note"])
        commit()
        return swap


@blp.route(f"/roster/weeks/<{ID_IN_URL}:week_id>/swaps")
class WeekSwaps(MethodView):
    @blp.response(200, schemas.SwapSchema(many=True))
    def get(self, week_id):
        """Swap requests of a week, newest first"""
        actor = current_actor()
        return swaps.swaps_for_week(actor, service.get_week(actor, week_id))


@blp.route(f"/roster/swaps/<{ID_IN_URL}:swap_id>/decision")
class SwapDecision(MethodView):
    @blp.arguments(schemas.DecisionIn)
    @blp.response(200, schemas.SwapSchema)
    def post(self, data, swap_id):
        """Approve (hands the place over, a new version) or reject a swap"""
        swap = swaps.decide_swap(current_actor(), swap_id, data["approve"])
        commit()
        return swap


@blp.route("/my/calendar-feed")
class CalendarFeedUrl(MethodView):
    @blp.response(201, schemas.FeedSchema)
    def post(self):
        """Create (or replace) your secret iCalendar feed URL"""
        token = exports.rotate_feed(current_actor())
        commit()
        return {"url": url_for("feeds.calendar", token=token, _external=True)}


@blp.route(f"/roster/assignments/<{ID_IN_URL}:assignment_id>/served")
class Served(MethodView):
    @blp.arguments(schemas.ServedIn)
    @blp.response(200, schemas.AssignmentSchema)
    def post(self, data, assignment_id):
        """考勤: mark a duty as done (service hours and points, once) or take the mark back"""
        assignment = service.mark_served(current_actor(), assignment_id, data["served"], now_local().date())
        commit()
        return assignment


# --- attendance (签到 / 签退) -----------------------------------------------------------------------


@blp.route(f"/roster/weeks/<{ID_IN_URL}:week_id>/attendance.xlsx")
class AttendanceWorkbook(MethodView):
    @blp.response(200, {"type": "string", "format": "binary"}, content_type=XLSX)
    def get(self, week_id):
        """考勤台账: every duty of the week with its check-in, check-out and the minutes it counts for"""
        actor = current_actor()
        week = service.get_week(actor, week_id)
        return Response(exports.attendance_workbook(actor, week), mimetype=XLSX, headers={
            "Content-Disposition": f"attachment; filename=attendance-{week.week}.xlsx"})


@blp.route(f"/roster/assignments/<{ID_IN_URL}:assignment_id>/attendance")
class Attendance(MethodView):
    @blp.arguments(schemas.AttendanceIn)
    @blp.response(200, schemas.AssignmentSchema)
    def put(self, data, assignment_id):
        """The coordinator ticks a duty's check-in and check-out; with both the duty is served for that time"""
        assignment = service.set_attendance(current_actor(), assignment_id, data["checked_in_at"],
                                            data["checked_out_at"], utcnow())
        commit()
        return assignment


@blp.route(f"/roster/stations/<{ID_IN_URL}:station_id>/check-in-code")
class StationCode(MethodView):
    @blp.response(200, schemas.StationCodeSchema)
    def get(self, station_id):
        """The station's live check-in code and the URL its QR code carries (changes every few minutes)"""
        now = utcnow()
        station = service.station_for_code(current_actor(), station_id)
        code = service.live_code(station, now)
        return {"station_id": station.id, "code": code, "valid_seconds": service.CODE_WINDOW_S,
                "url": url_for("roster_pages.checkin", station_id=station.id, c=code, _external=True)}


@blp.route(f"/roster/stations/<{ID_IN_URL}:station_id>/check-in")
class CheckIn(MethodView):
    @blp.arguments(schemas.CheckInIn)
    @blp.response(200, schemas.AssignmentSchema)
    def post(self, data, station_id):
        """Scan the station's code: check in to your duty there now, or check out of it (then it is served)"""
        assignment = service.scan(current_actor(), station_id, data["code"], utcnow())
        commit()
        return assignment


# --- teams ------------------------------------------------------------------------------------------


@blp.route("/teams")
class Teams(MethodView):
    @blp.arguments(schemas.TeamQuery, location="query")
    @blp.response(200, schemas.TeamSchema(many=True))
    def get(self, args):
        """The teams of the communities you manage"""
        return db.session.scalars(teams.teams(current_actor(), args.get("community_id")).limit(1000)).all()

    @blp.arguments(schemas.TeamIn)
    @blp.response(201, schemas.TeamSchema)
    def post(self, data):
        """Create a team: a name, a leader and members from the community's volunteers"""
        team = teams.save_team(current_actor(), None, data)
        commit()
        return team


@blp.route(f"/teams/<{ID_IN_URL}:team_id>")
class TeamItem(MethodView):
    @blp.response(200, schemas.TeamSchema)
    def get(self, team_id):
        return teams.get_team(current_actor(), team_id)

    @blp.arguments(schemas.TeamIn)
    @blp.response(200, schemas.TeamSchema)
    def put(self, data, team_id):
        """Rename a team, change its leader or members (the community stays)"""
        team = teams.save_team(current_actor(), team_id, data)
        commit()
        return team

    @blp.response(204)
    def delete(self, team_id):
        teams.delete_team(current_actor(), team_id)
        commit()


@blp.route(f"/teams/<{ID_IN_URL}:team_id>/answers")
class TeamAnswers(MethodView):
    @blp.response(200, schemas.TeamAnswersSchema)
    def get(self, team_id):
        """For the team's leader (or its coordinators): the members' answers to call-outs and duties ahead"""
        return teams.team_answers(current_actor(), team_id, now_local())


@blp.route("/my/teams")
class MyTeams(MethodView):
    @blp.response(200, schemas.TeamSchema(many=True))
    def get(self):
        """The teams you lead"""
        return teams.led_teams(current_actor())
