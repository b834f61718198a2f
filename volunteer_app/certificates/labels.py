"""What people call the codes of certificates: their states and the kinds of identity document."""
from flask_babel import lazy_gettext as _l

from .. import labels

CERTIFICATE_LABELS = labels.register({
    "certificate_state": {"applied": _l("Applied for"), "accepted": _l("Accepted for issuing"), "issued": _l("Issued"),
                          "rejected": _l("Declined to issue"), "revoked": _l("Revoked")},
    "id_type": {"resident_id_card": _l("Resident identity card")},
})
