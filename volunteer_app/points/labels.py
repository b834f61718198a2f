"""What people call the kinds and states of points and exchange: one table for pages, exports,
notifications and stored texts, each text translated when it is shown."""
from flask_babel import lazy_gettext as _l

from .. import labels

POINTS_LABELS = labels.register({
    "transfer": {"earning": _l("Earned for service"), "redemption": _l("Redemption"),
                 "settlement": _l("Paid to the partner"), "gift": _l("Gift"), "grant": _l("Grant from the pool"),
                 "reversal": _l("Correction or refund"), "service_charge": _l("Paid for a service")},
    "earning": {"pending": _l("Awaiting approval"), "posted": _l("Posted"), "capped": _l("Weekly cap reached"),
                "rejected": _l("Rejected"), "reversed": _l("Reversed")},
    "order": {"requested": _l("Awaiting approval"), "approved": _l("Approved, to be fulfilled"),
              "fulfilled": _l("Order fulfilled"), "rejected": _l("Rejected"), "cancelled": _l("Cancelled")},
    "action": {"approve": _l("Approve"), "fulfil": _l("Mark fulfilled"), "reject": _l("Reject"),
               "cancel": _l("Cancel the order")},
    "done": {"approve": _l("Order No. %(id)s approved."), "fulfil": _l("Order No. %(id)s fulfilled."),
             "reject": _l("Order No. %(id)s rejected; the points went back."),
             "cancel": _l("Order No. %(id)s cancelled; the points went back.")},
    "item_kind": {"service": _l("Service"), "fee_discount": _l("Fee discount"), "goods": _l("Goods")},
    "partner_kind": {"property_company": _l("Property company"), "shop": _l("Shop"),
                     "service_provider": _l("Service provider"), "other": _l("Other")},
    "approval": {"auto": _l("Automatically"), "coordinator": _l("After a coordinator approves")},
    "account": {"volunteer": _l("Volunteer"), "resident": _l("Resident"), "community_pool": _l("Community pool"),
                "partner": _l("Partner"), "holding": _l("Orders in progress"), "issuance": _l("Issuance")},
    "flag": {"evening": _l("Evening"), "holiday": _l("Public holiday"), "callout": _l("Emergency call-out")},
    "source": {"assignment": _l("Roster duty"), "request": _l("Service request"), "service_log": _l("Service record")},
    "service_type": {"shift": _l("Duty shift"), "task": _l("Task")},
})
