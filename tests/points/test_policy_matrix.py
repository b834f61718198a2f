"""Every points entry point with each role, on a record of its own community and on one elsewhere.

Holders (the volunteer, the resident) see and spend their own account; staff keep their communities'
books; a grid worker manages no points (accounts belong to communities, not grids).
"""
import pytest
from sqlalchemy import select

from tests.support.policy_matrix import STAFF, Entry, check_entry
from tests.support.points import MONDAY_MORNING
from volunteer_app.accounts import policy
from volunteer_app.accounts.policy import Actor
from volunteer_app.errors import InvalidInput, NotFound
from volunteer_app.extensions import db
from volunteer_app.models_base import utcnow
from volunteer_app.points import exports, ledger, service
from volunteer_app.points.models import (
    AccountKind, Approval, CatalogueItem, Earning, EarningRule, ItemKind, Partner, PartnerKind, TransferKind,
)

VOLUNTEER, RESIDENT = frozenset({"volunteer"}), frozenset({"resident"})
#: Registry records volunteers and residents read in their own community (rules, partners, the catalogue).
READERS = STAFF | VOLUNTEER | RESIDENT


# --- records made in a place (inside the call: each case is rolled back) ---------------------------------

def funded(place, points: int = 100):
    """The place's volunteer earns ``points`` through the real earning path; the earning's transfer."""
    return service.earn_for_source("matrix", place.volunteer.id, place.volunteer.id, place.community.id, points * 6,
                                   None, MONDAY_MORNING, set())


def account(place):
    funded(place)
    return service.volunteer_account(place.volunteer)


def partner(place) -> Partner:
    record = Partner(community_id=place.community.id, name="红心物业", kind=PartnerKind.property_company)
    db.session.add(record)
    db.session.flush()
    return record


def item(place) -> CatalogueItem:
    record = CatalogueItem(partner=partner(place), community_id=place.community.id, name="上门清洗地毯",
                           kind=ItemKind.service, price=20)
    db.session.add(record)
    db.session.flush()
    return record


def rule(place, **fields) -> EarningRule:
    record = EarningRule(community_id=place.community.id, **fields)
    db.session.add(record)
    db.session.flush()
    return record


def pooled(place) -> None:
    """The place's community pool holds 10 points (a gift of its volunteer's)."""
    ledger.post_transfer(account(place), service.community_account(AccountKind.community_pool, place.community.id),
                         10, TransferKind.gift, place.community.id)


def order(place):
    """The place's volunteer orders one item of the place's partner (placed by the system)."""
    payer, offer = account(place), item(place)
    return service.redeem(Actor.system(), payer, offer.id, 1, f"matrix-{place.community.id}", "")[0]


def pending_earning(place) -> Earning:
    rule(place, approval=Approval.coordinator)
    funded(place)
    return db.session.scalar(select(Earning).where(Earning.volunteer_id == place.volunteer.id))


def listed(statement, record) -> None:
    """A list as a lookup: ``record`` is among the rows, or the call counts as refused (404)."""
    if record.id not in {row.id for row in db.session.scalars(statement)}:
        raise NotFound(policy.NOT_FOUND)


def issuance_of(actor, place):
    """The community's issuance account (opened by an earning), or refused (404) when the actor may not read it."""
    funded(place)
    accounts = service.account_of(actor, AccountKind.issuance, [place.community.id])
    if place.community.id not in accounts:
        raise NotFound(policy.NOT_FOUND)
    return accounts[place.community.id]


def paying(actor, account_id: int):
    """``payer_account`` refuses a holder who names another's account with a 422 naming ``account_id``
    (``not_your_account``), as it refuses staff beyond their communities (``out_of_scope``)."""
    try:
        return service.payer_account(actor, account_id)
    except InvalidInput as error:
        if error.code == "not_your_account":
            raise policy.out_of_reach("account_id") from error
        raise


ENTRIES = [
    # accounts and statements
    Entry("accounts_query", lambda w, a, p: listed(service.accounts_query(a, {}), account(p)), own=VOLUNTEER),
    Entry("find_accounts", lambda w, a, p: listed(service.find_accounts(a, {}, p.volunteer.name), account(p)),
          own=VOLUNTEER),
    Entry("get_account", lambda w, a, p: service.get_account(a, account(p).id), own=VOLUNTEER),
    Entry("get_account.resident", lambda w, a, p: service.get_account(a, service.resident_account(p.resident).id),
          own=RESIDENT),
    Entry("own_account", lambda w, a, p: service.own_account(a), allowed=frozenset(), own=VOLUNTEER | RESIDENT,
          placeless=True),
    Entry("account_of", lambda w, a, p: issuance_of(a, p)),
    Entry("statement_query", lambda w, a, p: service.statement_query(a, account(p)), own=VOLUNTEER),
    Entry("statement_file", lambda w, a, p: exports.statement_file(a, account(p), "csv"), own=VOLUNTEER),
    # earnings
    Entry("earnings_query", lambda w, a, p: listed(service.earnings_query(a, {}), pending_earning(p)), own=VOLUNTEER),
    Entry("approve_earning", lambda w, a, p: service.approve_earning(a, pending_earning(p).id)),
    Entry("reject_earning", lambda w, a, p: service.reject_earning(a, pending_earning(p).id, "重复上报")),
    # gifts and grants
    Entry("gift", lambda w, a, p: service.gift(a, account(p), 5, None, True, "时间银行"), allowed=frozenset(),
          own=VOLUNTEER),
    Entry("gift_recipients", lambda w, a, p: service.gift_recipients(a, account(p)), allowed=frozenset(),
          own=VOLUNTEER),
    Entry("gifted_this_month", lambda w, a, p: service.gifted_this_month(a, account(p), utcnow()), own=VOLUNTEER),
    Entry("grant", lambda w, a, p: pooled(p) or service.grant(a, p.community.id, 1, p.resident.id, None, "困难补助")),
    # redemptions
    Entry("payer_account", lambda w, a, p: paying(a, account(p).id), own=VOLUNTEER),
    Entry("quote", lambda w, a, p: service.quote(a, account(p), item(p).id, 1), own=VOLUNTEER),
    Entry("redeem", lambda w, a, p: service.redeem(a, account(p), item(p).id, 1, "matrix-redeem", ""), own=VOLUNTEER),
    Entry("redemptions_query", lambda w, a, p: listed(service.redemptions_query(a, {}), order(p)), own=VOLUNTEER),
    Entry("get_redemption", lambda w, a, p: service.get_redemption(a, order(p).id), own=VOLUNTEER),
    Entry("order_history", lambda w, a, p: service.order_history(a, order(p)), own=VOLUNTEER),
    Entry("may_act.approve", lambda w, a, p: service.may_act(a, order(p), "approve")),
    Entry("change_status.approve", lambda w, a, p: service.change_status(a, order(p), "approve")),
    Entry("change_status.reject", lambda w, a, p: service.change_status(a, order(p), "reject", "缺货")),
    Entry("change_status.cancel", lambda w, a, p: service.change_status(a, order(p), "cancel"), own=VOLUNTEER),
    # transfers and corrections
    Entry("get_transfer", lambda w, a, p: service.get_transfer(a, funded(p).id), own=VOLUNTEER),
    Entry("correct", lambda w, a, p: service.correct(a, funded(p).id, "录入错误")),
    # reports on the books
    Entry("settlement", lambda w, a, p: service.settlement(a, partner(p).id, "2026-01", "2026-12")),
    Entry("check_books", lambda w, a, p: service.check_books(a), allowed=frozenset({"admin"}), placeless=True),
    # the registry: earning rules, partners, catalogue items
    Entry("rules.get", lambda w, a, p: service.rules.get(a, rule(p).id), allowed=READERS),
    Entry("rules.create", lambda w, a, p: service.rules.create(a, {"community_id": p.community.id})),
    Entry("rules.update", lambda w, a, p: service.rules.update(a, rule(p), {"version": 1, "default_rate": 12})),
    Entry("partners.get", lambda w, a, p: service.partners.get(a, partner(p).id), allowed=READERS),
    Entry("partners.create", lambda w, a, p: service.partners.create(a, {
        "community_id": p.community.id, "name": "红心超市", "kind": PartnerKind.shop})),
    Entry("partners.update", lambda w, a, p: service.partners.update(a, partner(p), {"version": 1, "name": "新名"})),
    Entry("partners.delete", lambda w, a, p: service.partners.delete(a, partner(p))),
    Entry("items.get", lambda w, a, p: service.items.get(a, item(p).id), allowed=READERS),
    Entry("items.create", lambda w, a, p: service.items.create(a, {
        "partner_id": partner(p).id, "name": "理发", "kind": ItemKind.service, "price": 10})),
    Entry("items.update", lambda w, a, p: service.items.update(a, item(p), {"version": 1, "price": 30})),
    Entry("items.delete", lambda w, a, p: service.items.delete(a, item(p))),
]


@pytest.mark.parametrize("entry", ENTRIES, ids=str)
def test_each_points_entry_point_with_each_role(world, entry):
    check_entry(world, entry)
