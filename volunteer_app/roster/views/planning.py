"""Plan a week and follow its job's progress."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ... import jobs
from ...accounts.policy import current_actor
from ...clock import IsoWeek
from ...errors import Conflict, NotFound
from ...extensions import db
from ...holidays.service import unknown_years
from ...places.models import Community
from ...resources import commit
from ...views import RECORD_ID, blank_to_none, names_by_id, save, staff_required
from .. import schemas, service
from ..labels import ROSTER_LABELS
from ..models import JobStatus, PlanJob, RosterWeek
from ..reasons import words
from . import bp
from .common import RECENT, community_volunteers, plannable_communities, today, week_names, week_or_404

# --- plan a week, follow the job ------------------------------------------------------------


def start_job(week: RosterWeek, purpose: str) -> tuple[PlanJob, bool]:
    """The job planning ``week`` (flushed, not committed) and whether it is new; a running one is reused."""
    try:
        return service.request_plan(current_actor(), week, purpose), True
    except Conflict as exc:
        running = db.session.get(PlanJob, exc.extra.get("job_id") or 0)
        if running is None:
            raise
        return running, False


def follow(job: PlanJob, new: bool):
    """After the commit: queue a new job (eager without a broker) and show its progress."""
    if new:
        jobs.enqueue(service.PLAN_JOB, job.id)
        db.session.expire_all()
    else:
        flash(_("A plan for this week is already running; here is its progress."), "warning")
    return redirect(url_for("roster_pages.roster_job", job_id=job.id))


@bp.route("/roster/plan", methods=["GET", "POST"])
@staff_required
def roster_plan():
    communities = plannable_communities()
    values = {"community_id": str(communities[0].id) if len(communities) == 1 else "",
              "week": IsoWeek.of(today()).shifted(1)}
    problems = None
    actor = current_actor()
    if request.method == "POST":
        values = {key: request.form.get(key, "").strip() for key in ("community_id", "week")}
        form = blank_to_none(values, ("community_id", "week"))
        started, problems = save(schemas.PlanIn(), form, lambda data: start_job(
            service.week_for(actor, data["community_id"], data["week"]), "plan"))
        if problems is None:
            return follow(*started)
    weeks = db.session.scalars(service.weeks(actor).limit(RECENT)).all()
    names = names_by_id(Community, [w.community_id for w in weeks])
    try:  # warn early when the chosen week's official holidays are not known
        week = week_or_404(values.get("week", ""))
        unknown = unknown_years(week.monday, week.sunday)
    except NotFound:
        unknown = []
    return render_template("roster/plan.html", values=values, problems=problems,
                           communities=communities,
                           weeks=weeks, names=names, unknown_years=unknown), (problems.status if problems else 200)


def failure_words(job: PlanJob):
    """Why a job failed, in the page's language with names (a job failed before codes were kept: its English)."""
    failure = service.failure_of(job)
    if failure is None:
        return job.error
    return words(failure, week_names(job.week, community_volunteers(job.week.community_id)), job.error)


@bp.get(f"/roster/jobs/<{RECORD_ID}:job_id>")
@staff_required
def roster_job(job_id: int):
    """Progress of a plan; the page polls the API and moves on to the review when it is done."""
    job = service.get_job(current_actor(), job_id)
    commit()
    if job.status == JobStatus.succeeded:
        summary = job.summary or {}
        flash(_("Planning finished in %(seconds)s s: %(assignments)s places filled, %(unfilled)s duties not full.",
                seconds=round(job.elapsed_s, 1), assignments=summary.get("assignments", 0),
                unfilled=summary.get("unfilled", 0)), "success")
        return redirect(url_for("roster_pages.roster_week", week_id=job.week_id))
    community = db.session.get(Community, job.week.community_id)
    return render_template(
        "roster/job.html", job=job, week=job.week, community=community, failure=failure_words(job),
        stage_labels={key: str(text) for key, text in ROSTER_LABELS["stage"].items()},
        status_labels={key: str(text) for key, text in ROSTER_LABELS["job"].items()},
    )


