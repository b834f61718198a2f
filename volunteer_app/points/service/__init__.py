"""Rules of points and exchange (积分兑换): who earns how much, what can be redeemed,
gifts within the community's limits, statements and partner settlements.

Every balance change goes through ``ledger.post_transfer``; this package
decides which transfers to post and guards them with the account locks.
One module per seam: accounts, earning, the registry (rules, partners,
catalogue), redemptions, gifts and grants, charges for priced services,
transfers and corrections, reports. The names below are the package's
public face: ``service.X`` and ``from ...points.service import X`` keep
working whichever module ``X`` lives in.
"""
from ..ledger import InsufficientPoints
from ..models import PointAccount
from .accounts import (
    account_of, accounts_query, community_account, find_accounts, get_account,
    holder_account, holders_of, own_account, owns, partner_account, resident_account, statement_query,
    volunteer_account,
)
from .charges import can_pay, charge_service, refund_service, service_payer
from .common import local_naive, month_start_utc
from .earning import (
    MULTIPLIERS, NIGHT_ENDS, approve_earning, default_rule, earn_for_assignment, earn_for_source, earning_terms,
    earnings_query, post_earning, reject_earning, reverse_assignment, reverse_source, rule_for,
)
from .gifts import gift, gift_recipients, gifted_this_month, grant
from .redemptions import (
    TRANSITIONS, Quote, change_status, get_redemption, may_act, order_history, payer_account, quote, redeem,
    redemptions_query,
)
from .registry import (
    CommunityRecordService, ItemService, PartnerService, RuleService, catalogue_communities, cross_allowed, items,
    partners, rules,
)
from .reports import check_books, parse_month, settlement, this_year_months
from .transfers import correct, get_transfer

__all__ = [
    # used through the service by other domains and tests
    "InsufficientPoints", "PointAccount",
    # accounts
    "account_of", "accounts_query", "community_account", "find_accounts", "get_account",
    "holder_account", "holders_of", "own_account", "owns", "partner_account", "resident_account",
    "statement_query", "volunteer_account",
    # charges for priced services
    "can_pay", "charge_service", "refund_service", "service_payer",
    # common
    "local_naive", "month_start_utc",
    # earning
    "MULTIPLIERS", "NIGHT_ENDS", "approve_earning", "default_rule", "earn_for_assignment", "earn_for_source",
    "earning_terms", "earnings_query", "post_earning", "reject_earning",
    "reverse_assignment", "reverse_source", "rule_for",
    # gifts and grants
    "gift", "gift_recipients", "gifted_this_month", "grant",
    # redemptions
    "TRANSITIONS", "Quote", "change_status", "get_redemption", "may_act", "order_history",
    "payer_account", "quote", "redeem", "redemptions_query",
    # registry: rules, partners, catalogue
    "CommunityRecordService", "ItemService", "PartnerService", "RuleService", "catalogue_communities",
    "cross_allowed", "items", "partners", "rules",
    # reports
    "check_books", "parse_month", "settlement", "this_year_months",
    # transfers and corrections
    "correct", "get_transfer",
]
