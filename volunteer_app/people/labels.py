"""What people call the registry's codes of people: statuses, availability, priority groups."""
from flask_babel import lazy_gettext as _l

from .. import labels

PEOPLE_LABELS = labels.register({
    "status": {"active": _l("Active"), "paused": _l("Paused"), "left": _l("Left")},
    "holiday_mode": {"rest_day": _l("Like a rest day"), "off": _l("Not available on public holidays")},
    "days": {"workdays": _l("Working days"), "rest_days": _l("Rest days"), "mon": _l("Monday"), "tue": _l("Tuesday"),
             "wed": _l("Wednesday"), "thu": _l("Thursday"), "fri": _l("Friday"), "sat": _l("Saturday"),
             "sun": _l("Sunday")},
    "priority_group": {"low_income": _l("Low-income (dibao)"), "disabled": _l("Disabled"),
                       "elderly_alone": _l("Elderly living alone"), "childless_elderly": _l("Childless elderly"),
                       "hardship": _l("Hardship")},
})
