"""Planning in the background: a job per solve of a week, its progress, and the solve itself."""
import time as clock

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ...accounts import policy
from ...accounts.policy import Actor
from ...errors import Conflict, DomainError, InvalidInput
from ...extensions import db
from ...models_base import utcnow
from ..models import JobStatus, PlanJob, RosterWeek
from ..problem import build_problem, live_pairs, parse_key, request_pairs, solution_pairs
from ..reasons import as_data
from .drafts import draft_pairs, publish_pairs, set_draft
from .weeks import record_of_week

PLAN_JOB = "roster.plan"  # the job queue's name for run_plan_job


def request_plan(actor: Actor, week: RosterWeek, purpose: str = "plan") -> PlanJob:
    """A job to plan the week afresh (``plan``) or to re-solve its edited draft (``resolve``)."""
    policy.require(actor, "roster.draft", week)
    return queue_plan(week, actor.id, purpose)


def queue_plan(week: RosterWeek, requested_by_id: int | None, purpose: str) -> PlanJob:
    """The job (flushed; the caller enqueues it after the commit); 409 while one for the week runs."""
    running = db.session.scalar(select(PlanJob).where(
        PlanJob.week_id == week.id, PlanJob.status.in_([JobStatus.queued, JobStatus.running])))
    if running is not None and not job_is_stale(running):
        raise Conflict(_l("A plan for %(week)s is already running.", week=week.week),
                       {"week": [_l("A plan for this week is already running.")]}, code="plan_running",
                       job_id=running.id)
    job = PlanJob(week_id=week.id, purpose=purpose, requested_by_id=requested_by_id)
    db.session.add(job)
    db.session.flush()
    return job


def get_job(actor: Actor, job_id: int) -> PlanJob:
    """A plan job's progress; one whose worker died is marked failed here, after its time limit."""
    job = record_of_week(actor, "roster.read", PlanJob, job_id)
    if job_is_stale(job):
        job.status, job.finished_at = JobStatus.failed, utcnow()
        _record_failure(job, "worker lost: no result within the time limit", "worker_lost")
        db.session.flush()
    return job


def job_is_stale(job: PlanJob) -> bool:
    """A job whose worker died never finishes; after its time limit plus a margin we say so."""
    limit = current_app.config["ROSTER_TIME_LIMIT_S"] + current_app.config["ROSTER_JOB_GRACE_S"]
    created = job.created_at if job.created_at.tzinfo else job.created_at.replace(tzinfo=utcnow().tzinfo)
    return job.status in (JobStatus.queued, JobStatus.running) and (utcnow() - created).total_seconds() > limit


def _record_failure(job: PlanJob, text: str, code: str, **params) -> None:
    """Why the job failed: English ``error`` for logs and programs, code and params (``reasons.WORDS``) for pages."""
    job.error = text
    job.summary = {"failure": {"code": code, "params": params}}


def failure_of(job: PlanJob) -> dict | None:
    """The stored ``{"code", "params"}`` of a failed job; jobs failed before codes were kept have none."""
    return (job.summary or {}).get("failure")


def run_plan_job(job_id: int) -> None:
    """Solve one week (called by the job queue inside an app context).

    Either the whole new draft is written with the job's success, or the job
    is marked failed with the reason and the previous draft stays untouched.
    """
    from solver import repair_dict, solve_dict

    job = db.session.get(PlanJob, job_id)
    if job is None or job.status != JobStatus.queued:
        return
    job.status, job.stage = JobStatus.running, "building"
    db.session.commit()
    engine, started = db.engine, clock.monotonic()

    def progress(stage: str, best_coverage: int | None, elapsed_s: float) -> None:
        # Own connection: the solver may call from its thread, and the job's
        # transaction must not commit half a roster.
        with engine.begin() as connection:
            connection.execute(update(PlanJob).where(PlanJob.id == job_id).values(
                stage=stage[:32], best_coverage=best_coverage, elapsed_s=round(clock.monotonic() - started, 2)))

    try:
        week = job.week
        if job.purpose == "resolve":
            previous = draft_pairs(week)
        else:
            previous = live_pairs(week)
        document, warnings = build_problem(week, previous)
        # A repair after a decline moves as few people as it can; a plan or re-solve optimises freely.
        solve = repair_dict if job.purpose == "repair" else solve_dict
        solution = solve(document, time_limit_s=current_app.config["ROSTER_TIME_LIMIT_S"],
                         workers=current_app.config["ROSTER_SOLVER_WORKERS"], progress=progress, reason_codes=True)
        if solution["status"] == "INFEASIBLE":
            first = []  # each demand's first reason, once: demands that share a clash share its reason
            for u in solution["unfilled"]:
                if u["reasons"] and (u["reasons"][0], u["reason_codes"][0]) not in first:
                    first.append((u["reasons"][0], u["reason_codes"][0]))
            raise InvalidInput(_l("The pinned assignments cannot all hold together: %(reasons)s",
                                  reasons="; ".join(text for text, _ in first)),
                               code="pins_clash", reasons=[code for _, code in first])
        pairs = solution_pairs(solution)
        week.draft_requests = {str(r): v for r, v in request_pairs(solution).items()}
        if job.purpose == "repair":
            publish_pairs(week, pairs, None, note=_l("Re-planned automatically after a decline"))
        else:
            set_draft(week, pairs)
        record_outcome(week, solution, warnings)
        job = db.session.get(PlanJob, job_id)
        job.status, job.stage, job.finished_at = JobStatus.succeeded, "done", utcnow()
        job.best_coverage = solution["scores"]["coverage"]
        job.elapsed_s = round(clock.monotonic() - started, 2)
        job.summary = {"status": solution["status"], "scores": solution["scores"], "bound": solution["bound"],
                       "unfilled": len(solution["unfilled"]), "assignments": len(pairs),
                       "warnings": [w.text for w in warnings], "warning_codes": [as_data(w) for w in warnings],
                       "solve_seconds": solution["solve_seconds"]}
        db.session.commit()
    except Exception as exc:  # any failure: the job says why, the data is as before
        db.session.rollback()
        job = db.session.get(PlanJob, job_id)
        job.status, job.finished_at = JobStatus.failed, utcnow()
        with force_locale("en"):  # the stored error is English: for logs and programs
            if isinstance(exc, DomainError) and exc.code == "pins_clash":
                _record_failure(job, str(exc.message), exc.code, reasons=exc.extra["reasons"])
            else:  # unforeseen: as raised, for whoever fixes it
                detail = str(getattr(exc, "message", None) or f"{exc.__class__.__name__}: {exc}")
                _record_failure(job, detail, "error", detail=detail)
        job.elapsed_s = round(clock.monotonic() - started, 2)
        db.session.commit()
        current_app.logger.warning("plan job %s failed: %s", job_id, job.error)


def record_outcome(week: RosterWeek, solution: dict, warnings: list) -> None:
    """What the last solve could not fill, and why, shown beside the draft: the reasons and the
    dropped pins (``warnings``) as English text for programs, and as codes for the page to word."""
    week.draft_unfilled = [{"demand_id": parse_key(u["demand"]), "missing": u["missing"], "reasons": u["reasons"],
                            "reason_codes": u["reason_codes"]} for u in solution["unfilled"]]
    week.draft_scores = {**solution["scores"], "status": solution["status"],
                         "bound_coverage": solution["bound"]["coverage"], "warnings": [w.text for w in warnings],
                         "warning_codes": [as_data(w) for w in warnings]}
    db.session.flush()
