"""The weekly cycle: generate shifts, plan in the background, review, publish, answer, and repair
after a decline, keeping everyone else's assignments.

Every function that acts for someone takes the ``Actor`` first and asks the access policy
(``roster.*`` in ``accounts.policy.PERMISSIONS``); the jobs (planning, reminders) act for no one.
One module per seam: weeks, planning (jobs), drafts (edits and publishing), duties (answers,
attendance, reminders), the registry (templates, demands). ``service.X`` keeps working whichever
module ``X`` lives in.
"""
from .drafts import (
    DraftSummary, draft_pairs, draft_summary, move, publish, publish_pairs, reask, set_rule, sheet_volunteers,
)
from .duties import (
    MyWeek, ServedRecord, WeekTodo, answer, mark_served, my_assignments, my_volunteer, my_week, own_assignment,
    send_reminders, send_todays_reminders, served_records, weeks_needing_attention,
)
from .planning import PLAN_JOB, failure_of, get_job, job_is_stale, request_plan, run_plan_job
from .registry import DemandService, TemplateService, demands, templates
from .weeks import (
    ACTIVE, END_AFTER_START, get_week, open_week, plannable_communities, record_of_week,
    versions, week_for, weeks,
)

__all__ = [
    # drafts and publishing
    "DraftSummary", "draft_pairs", "draft_summary", "move", "publish", "publish_pairs", "reask", "set_rule",
    "sheet_volunteers",
    # duties
    "MyWeek", "ServedRecord", "WeekTodo", "answer", "mark_served", "my_assignments", "my_volunteer", "my_week",
    "own_assignment", "send_reminders", "send_todays_reminders", "served_records", "weeks_needing_attention",
    # planning
    "PLAN_JOB", "failure_of", "get_job", "job_is_stale", "request_plan", "run_plan_job",
    # registry
    "DemandService", "TemplateService", "demands", "templates",
    # weeks
    "ACTIVE", "END_AFTER_START", "get_week", "open_week", "plannable_communities",
    "record_of_week", "versions", "week_for", "weeks",
]
