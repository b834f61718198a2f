"""What people call the codes of visits: kinds of visit and what became of a need."""
from flask_babel import lazy_gettext as _l

from .. import labels

VISIT_LABELS = labels.register({
    "visit_kind": {"routine": _l("Routine visit"), "key_group": _l("Priority-group care visit"),
                   "after_request": _l("Follow-up after a request"), "night": _l("Night visit")},
    "need_outcome": {"open": _l("Noted, not passed on"), "solved": _l("Solved on the spot"),
                     "in_progress": _l("Being handled"), "resolved": _l("Resolved"), "dropped": _l("Not carried out")},
})
