"""Rules of resident services: the menu, events with bookable slots, requests (工单)
through the closed loop 受理→分派→处置→反馈→评价, follow-ups and micro-wishes.

One module per part, each importing only those above it:

* ``common``: the clock, row locks, for whom one acts (who may do what is the access policy's:
  ``accounts.policy``; every entry point takes the acting ``Actor`` first);
* ``menu``: the service menu and the opening hours services keep;
* ``events``: events, slots and bookings (no over-booking, ever);
* ``requests``: filing, deadlines, history, who hears of a change;
* ``follow_ups``: follow-ups after a low rating;
* ``dispatch``: who does a request, and when (via the roster's solver);
* ``transitions``: transition tables, who may move a request, ``transition``;
* ``wishes``: the wish board (微心愿).

Callers use the package (``service.book``, ``service.transition``): the names
below are its interface. ``now`` lives here, so that fixing ``service.now``
(as the tests do) fixes the clock of every module.
"""
from datetime import datetime

from ...clock import now_local
from .common import MINUTE, is_priority, iso_week, lock_row, price_for, resident_for, users_of_residents
from .dispatch import (
    DispatchOption, candidates, demand_doc, dispatch_options, dispatch_planned, my_requests, rank_volunteers,
    request_key, task_pairs_for_week, tasks_for_week, week_span, week_tasks,
)
from .events import (
    MAX_SLOTS, book, booking_people, bookings_page, bookings_query, cancel_booking, cancel_event, create_event,
    event_types, events_query, get_booking, get_event, mark_attended, promote_waiting, slots_of, waitlist_position,
)
from .follow_ups import close_follow_up, follow_ups_query, get_follow_up, low_rating_reason, open_follow_up
from .menu import ServiceTypeService, clock_for, service_types, type_for
from .requests import (
    OPEN_STATES, QUEUE_TABS, STEP_OF_STATE, earn_for_request, file_request, flag_overdue, is_overdue,
    queue_grids, queue_query, requests_query, service_log_for, service_minutes,
)
from .transitions import (
    ASSIGNEE, CLAIMER, HELPER, LOW_RATING, OWNER, REQUESTER, STAFF, TRANSITIONS, Move, allowed_moves, check_move,
    get_request, move, next_states, roles_in, transition,
)
from .wishes import (
    WISH_MOVES, allowed_wish_moves, get_wish, move_wish, post_wish, wish_resident_name, wish_roles, wishes_query,
)


def now() -> datetime:
    """China local time without an offset (as slots and deadlines are kept); tests fix it."""
    return now_local()


__all__ = [
    "now",
    # common
    "MINUTE", "is_priority", "iso_week", "lock_row", "price_for", "resident_for", "users_of_residents",
    # menu
    "ServiceTypeService", "clock_for", "service_types", "type_for",
    # events
    "MAX_SLOTS", "book", "booking_people", "bookings_page", "bookings_query", "cancel_booking", "cancel_event",
    "create_event", "event_types", "events_query", "get_booking", "get_event", "mark_attended", "promote_waiting",
    "slots_of", "waitlist_position",
    # requests
    "OPEN_STATES", "QUEUE_TABS", "STEP_OF_STATE", "earn_for_request", "file_request", "flag_overdue",
    "is_overdue", "queue_grids", "queue_query", "requests_query", "service_log_for", "service_minutes",
    # follow_ups
    "close_follow_up", "follow_ups_query", "get_follow_up", "low_rating_reason", "open_follow_up",
    # dispatch
    "DispatchOption", "candidates", "demand_doc", "dispatch_options", "dispatch_planned", "my_requests",
    "rank_volunteers", "request_key", "task_pairs_for_week", "tasks_for_week", "week_span", "week_tasks",
    # transitions
    "ASSIGNEE", "CLAIMER", "HELPER", "LOW_RATING", "OWNER", "REQUESTER", "STAFF", "TRANSITIONS", "Move",
    "allowed_moves", "check_move", "get_request", "move", "next_states", "roles_in", "transition",
    # wishes
    "WISH_MOVES", "allowed_wish_moves", "get_wish", "move_wish", "post_wish", "wish_resident_name", "wish_roles",
    "wishes_query",
]
