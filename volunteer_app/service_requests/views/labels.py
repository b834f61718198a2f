"""How the service pages write times, and the service's English messages in the page's language."""
import re
from datetime import datetime

from flask_babel import lazy_gettext as _l

from ...views import day_label, translate_error


def moment(value: datetime | None) -> str:
    """A naive local time as ``周三 12-02 09:00``."""
    return f"{day_label(value.date())} {value:%H:%M}" if value else ""


def span_of(start: datetime, end: datetime) -> str:
    return f"{moment(start)}–{end:%H:%M}" if end.date() == start.date() else f"{moment(start)} – {moment(end)}"


def iso_moment(text: str | None) -> str:
    """A stored ISO minute (``2026-12-01T14:00``) shown like ``moment``."""
    return moment(datetime.fromisoformat(text)) if text else ""


# --- the service's English texts, in the page's language ------------------------------------

_SERVICE_TEXTS: list[tuple[re.Pattern, object]] = [(re.compile(p), msg) for p, msg in (
    (r"required to make it \w+", _l("Required for this step.")),
    (r"full: choose another slot or join the waiting list \(waitlist\)",
     _l("This time is full: choose another time or join the waiting list.")),
    (r"already (?:booked|waitlisted) \(booking \d+\)", _l("Already booked or on the waiting list for this time.")),
    (r"overlaps booking \d+: (?P<what>.+)", _l("Overlaps another booking: %(what)s.")),
    (r"started at (?P<when>.+)", _l("This time has already begun (%(when)s).")),
    (r"the event was cancelled", _l("This event has been called off.")),
    (r"this event is for another community's residents", _l("This event is for another community's residents.")),
    (r"no slot \d+ in your community", _l("No such time in your community.")),
    (r"window (?P<n>\d+) starts in the past", _l("Time %(n)s starts in the past.")),
    (r"window (?P<n>\d+) is shorter than the (?P<minutes>\d+) minutes (?P<name>.+) takes",
     _l("Time %(n)s is shorter than the %(minutes)s minutes %(name)s takes.")),
    (r"window (?P<n>\d+): outside the opening hours of (?P<station>.+) on (?P<day>\S+): (?P<hours>.+)",
     _l("Time %(n)s is outside the opening hours of %(station)s on %(day)s (%(hours)s).")),
    (r"window (?P<n>\d+): (?P<station>.+) is closed on (?P<day>\S+)(?: \(.+\))?",
     _l("Time %(n)s: %(station)s is closed on %(day)s.")),
    (r"outside the opening hours of (?P<station>.+) on (?P<day>\S+): (?P<hours>.+)",
     _l("Outside the opening hours of %(station)s on %(day)s (%(hours)s).")),
    (r"(?P<station>.+) is closed on (?P<day>\d{4}-\d{2}-\d{2})(?: \(.+\))?", _l("%(station)s is closed on %(day)s.")),
    (r"is in the past", _l("This time is in the past.")),
    (r"must be on the same day as starts_at", _l("The event must end on the day it starts.")),
    (r"must be after starts_at", _l("The end must be after the start.")),
    (r"\S+ is not a whole number of (?P<minutes>\d+)-minute slots",
     _l("The time does not divide into whole %(minutes)s-minute slots.")),
    (r"makes (?P<count>\d+) slots; at most (?P<max>\d+)", _l("That makes %(count)s slots; at most %(max)s.")),
    (r"no station \d+ in this community", _l("This station is not in the service's community.")),
    (r"required: the type names none", _l("Choose a station: this service names none.")),
    (r"no service type \d+ on your community's menu", _l("Not on your community's menu.")),
    (r"(?P<name>.+) is not offered now", _l("%(name)s is not offered now.")),
    (r"not on the menu of the building's community", _l("Not on the menu of that building's community.")),
    (r"no such building in your community", _l("Not a building of your community.")),
    (r"give a building or a resident", _l("Choose a building.")),
    (r"not in the resident's community", _l("Not in the resident's community.")),
    (r"you may act only for yourself", _l("You may act only for yourself.")),
    (r"required when acting for a resident", _l("Choose the resident first.")),
    (r"no such resident in your community", _l("Not a resident of your community.")),
    (r"already used for request (?P<id>\d+) with other content; use a new key",
     _l("This form was already used for request No. %(id)s. Reload the form to file another.")),
    (r"must be in the future", _l("Choose a time in the future.")),
    (r"the planned time is over already", _l("The planned time is already over.")),
    (r"no volunteer \d+ in this community", _l("Not a volunteer of this community.")),
    (r"no available volunteer with the skills within reach: .*",
     _l("No volunteer with the skills is free and within reach: choose one, another time, or hand it to a "
        "department.")),
    (r"cannot cancel after the start; tell the station",
     _l("It has already begun and can no longer be cancelled; please tell the station.")),
    (r"already cancelled|cancelled", _l("Already cancelled.")),
    (r"already closed", _l("Already closed.")),
    (r"(?:needs|costs) (?P<needed>\d+) points, the balance is (?P<balance>-?\d+)",
     _l("Needs %(needed)s points, but the balance is %(balance)s.")),
    (r"Not a valid datetime\.", _l("Enter a date and time.")),
)]


def say(message: str) -> str:
    """A service or schema message in the page's language (unknown ones as they are)."""
    return translate_error(message, _SERVICE_TEXTS)
