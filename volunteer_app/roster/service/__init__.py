"""The weekly cycle: generate shifts, plan in the background, review, publish, answer, and repair
after a decline, keeping everyone else's assignments.

Every function that acts for someone takes the ``Actor`` first and asks the access policy
(``roster.*`` in ``accounts.policy.PERMISSIONS``); the jobs (planning, reminders) act for no one.
One module per seam: weeks, planning (jobs), drafts (edits and publishing), duties (answers,
reminders), attendance (check-in, the served mark and its minutes), the registry (templates,
demands). ``service.X`` keeps working whichever module ``X`` lives in.
"""
from .attendance import (
    CODE_WINDOW_S, GRACE, PRINTED_DAYS, duty_at_station, live_code, mark_served, printed_code, scan, served_minutes,
    set_attendance, ServedRecord, served_records, station_for_code, verify_code,
)
from .drafts import (
    DraftSummary, draft_pairs, draft_summary, move, publish, publish_pairs, reask, set_rule, sheet_volunteers,
)
from .duties import (
    MyWeek, WeekTodo, answer, my_assignments, my_volunteer, my_week, own_assignment, send_reminders,
    send_todays_reminders, weeks_needing_attention,
)
from .planning import PLAN_JOB, failure_of, get_job, job_is_stale, request_plan, run_plan_job
from .registry import DemandService, TemplateService, demands, templates
from .weeks import (
    ACTIVE, END_AFTER_START, get_week, open_week, plannable_communities, record_of_week,
    versions, week_for, weeks,
)

__all__ = [
    # attendance
    "CODE_WINDOW_S", "GRACE", "PRINTED_DAYS", "duty_at_station", "live_code", "mark_served", "printed_code", "scan",
    "served_minutes", "set_attendance", "ServedRecord", "served_records", "station_for_code", "verify_code",
    # drafts and publishing
    "DraftSummary", "draft_pairs", "draft_summary", "move", "publish", "publish_pairs", "reask", "set_rule",
    "sheet_volunteers",
    # duties
    "MyWeek", "WeekTodo", "answer", "my_assignments", "my_volunteer", "my_week", "own_assignment",
    "send_reminders", "send_todays_reminders", "weeks_needing_attention",
    # planning
    "PLAN_JOB", "failure_of", "get_job", "job_is_stale", "request_plan", "run_plan_job",
    # registry
    "DemandService", "TemplateService", "demands", "templates",
    # weeks
    "ACTIVE", "END_AFTER_START", "get_week", "open_week", "plannable_communities",
    "record_of_week", "versions", "week_for", "weeks",
]
