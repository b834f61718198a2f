"""What people call the states, steps and actions of resident services: one table for pages, exports and
reports, each text translated when it is shown."""
from flask_babel import lazy_gettext as _l

from .. import labels

from .models import RequestState

SERVICE_LABELS = labels.register({
    "request": {"submitted": _l("Waiting to be accepted"), "accepted": _l("Accepted for handling"),
                "dispatched": _l("Dispatched"), "in_progress": _l("Being handled"), "resolved": _l("Resolved"),
                "rated": _l("Rated"), "rejected": _l("Not accepted"), "cancelled": _l("Withdrawn"),
                "escalated": _l("Handed to a department")},
    "step": {"accept": _l("Acceptance"), "dispatch": _l("Dispatch to a volunteer"), "start": _l("Start of work"),
             "resolve": _l("Completion"), "rate": _l("Rating and follow-up"),
             "department": _l("Handling by the department")},
    "booking": {"booked": _l("Booked"), "waitlisted": _l("On the waiting list"), "cancelled": _l("Cancelled")},
    "event": {"scheduled": _l("Scheduled"), "cancelled": _l("Called off")},
    "wish": {"open": _l("Waiting for a helper"), "claimed": _l("Claimed"), "fulfilled": _l("Fulfilled"),
             "confirmed": _l("Confirmed"), "withdrawn": _l("Withdrawn")},
    "follow_up": {"open": _l("To follow up"), "closed": _l("Followed up")},
    "location": {"station": _l("At the station"), "home": _l("At your home (上门)")},
    "move": {"accepted": _l("Accept"), "rejected": _l("Do not accept"), "cancelled": _l("Withdraw the request"),
             "dispatched": _l("Dispatch"), "escalated": _l("Hand to a department (吹哨)"),
             "in_progress": _l("Start the work"), "resolved": _l("Mark as done"), "rated": _l("Rate the service"),
             "hand_back": _l("Hand back")},
    "wish_move": {"claimed": _l("I will fulfil it (认领)"), "open": _l("Give it back"),
                  "fulfilled": _l("Mark as fulfilled"), "confirmed": _l("Confirm it came true"),
                  "withdrawn": _l("Withdraw the wish")},
    "tab": {"new": _l("To accept"), "overdue": _l("Overdue"), "mine": _l("Handled by me"), "open": _l("All open")},
})


def move_key(source: RequestState, target: RequestState) -> str:
    """Names an action by its target state, except the volunteer's hand back (dispatched → accepted)."""
    return "hand_back" if (source, target) == (RequestState.dispatched, RequestState.accepted) else target.value
