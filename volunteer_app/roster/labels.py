"""The roster's states and kinds as people read them: one table for pages and messages."""
from flask_babel import lazy_gettext as _l

from .. import labels

ROSTER_LABELS = labels.register({
    "assignment": {"assigned": _l("To confirm"), "confirmed": _l("Confirmed"), "declined": _l("Declined"),
                   "removed": _l("Removed")},
    "week": {"draft": _l("Draft"), "published": _l("Published")},
    "job": {"queued": _l("Waiting to start"), "running": _l("Planning"), "succeeded": _l("Done"),
            "failed": _l("Failed")},
    "stage": {"": _l("Waiting to start"), "building": _l("Reading the week"), "prepare": _l("Preparing"),
              "coverage": _l("Filling the shifts"), "changes": _l("Keeping earlier assignments"),
              "unwanted": _l("Avoiding unwanted times"), "fairness": _l("Sharing the work fairly"),
              "travel": _l("Shortening the walks"), "explain": _l("Explaining what is left open"),
              "done": _l("Done")},
    "purpose": {"plan": _l("Plan"), "resolve": _l("Re-solve from the draft"), "repair": _l("Re-plan after a decline")},
    "holiday_rule": {"closed": _l("No duty on public holidays"), "open": _l("As on any day"),
                     "rota": _l("Holiday rota (own head count)")},
    "swap": {"requested": _l("Waiting for approval"), "approved": _l("Approved"), "rejected": _l("Rejected"),
             "cancelled": _l("Cancelled")},
    "callout": {"open": _l("Calling"), "filled": _l("Filled"), "closed": _l("Closed")},
    "invite": {"invited": _l("No answer yet"), "accepted": _l("Accepted"), "declined": _l("Declined"),
               "too_late": _l("Answered after it was filled")},
    "solve": {"OPTIMAL": _l("best possible (proven)"), "FEASIBLE": _l("best found in the time"),
              "INFEASIBLE": _l("pins contradict each other")},
})
