"""What people call the channels and the states of outgoing messages."""
from flask_babel import lazy_gettext as _l

from .. import labels

NOTIFICATION_LABELS = labels.register({
    "channel": {"sms": _l("SMS"), "wecom": _l("WeCom"), "email": _l("E-mail"), "inbox": _l("Inbox")},
    "outbox_status": {"pending": _l("Waiting"), "sent": _l("Sent"), "failed": _l("Failed"), "inbox": _l("Inbox only")},
    "sms_receipt": {"delivered": _l("Reached the phone"), "failed": _l("Did not reach the phone")},
})
