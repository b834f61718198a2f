"""What people call the roles of accounts."""
from flask_babel import lazy_gettext as _l

from .. import labels

ACCOUNTS_LABELS = labels.register({
    "role": {"admin": _l("Administrator"), "coordinator": _l("Coordinator"), "volunteer": _l("Volunteer"),
             "resident": _l("Resident")},
})
