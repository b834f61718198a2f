"""Redemption orders over the API: idempotent creation, clear 4xx, status changes that move points and stock."""
import pytest
from sqlalchemy import func, select

from volunteer_app.accounts.policy import Actor
from volunteer_app.extensions import db
from volunteer_app.points import service
from volunteer_app.points.models import CatalogueItem, Redemption, Transfer

from tests.support.points import balance_of, fund


def order(api, item, quantity=1, key="order-key-0001", **extra):
    return api.post("/points/redemptions", json={"item_id": item.id, "quantity": quantity, **extra},
                    headers={"Idempotency-Key": key} if key else {})


def stock_of(item) -> int:
    db.session.expire_all()
    return db.session.get(CatalogueItem, item.id).stock


def books_ok() -> bool:
    db.session.expire_all()
    report = service.check_books(Actor.system())
    db.session.rollback()
    return report.ok or report.problems


def test_an_order_holds_the_points_and_a_retry_does_not_pay_twice(town):
    account = fund(town.volunteer_ids[0], town.community_id, 100)
    first = order(town.vol[0], town.rice, quantity=2)
    assert first.status_code == 201, first.json
    assert first.json["points"] == 60 and first.json["status"] == "requested"
    retry = order(town.vol[0], town.rice, quantity=2)
    assert retry.status_code == 200 and retry.json["id"] == first.json["id"]
    assert balance_of(account.id) == 40 and stock_of(town.rice) == 1
    assert db.session.scalar(select(func.count(Redemption.id))) == 1
    assert books_ok() is True


def test_the_key_may_come_in_the_body(town):
    fund(town.volunteer_ids[0], town.community_id, 100)
    body = {"idempotency_key": "body-key-123"}
    first = order(town.vol[0], town.carpet, key=None, **body)
    again = order(town.vol[0], town.carpet, key=None, **body)
    assert (first.status_code, again.status_code) == (201, 200) and first.json["id"] == again.json["id"]


def test_the_same_key_for_another_order_is_a_conflict(town):
    fund(town.volunteer_ids[0], town.community_id, 100)
    assert order(town.vol[0], town.carpet).status_code == 201
    response = order(town.vol[0], town.fee)
    assert response.status_code == 409 and "idempotency_key" in response.json["errors"]


def test_keys_are_per_account(town):
    for volunteer_id in town.volunteer_ids:
        fund(volunteer_id, town.community_id, 100)
    responses = [order(api, town.carpet, key="shared-key-1") for api in town.vol]
    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].json["id"] != responses[1].json["id"]


BAD_ORDERS = [  # body, headers, the field the error must name
    ({"quantity": 1}, {"Idempotency-Key": "valid-key-1"}, "item_id"),  # item_id missing
    ({"item_id": 1}, {}, "idempotency_key"),  # no key at all
    ({"item_id": 1}, {"Idempotency-Key": "short"}, "headers.Idempotency-Key"),
    ({"item_id": 1, "idempotency_key": "body-key-01"}, {"Idempotency-Key": "head-key-01"}, "idempotency_key"),
    ({"item_id": 1, "quantity": 0}, {"Idempotency-Key": "valid-key-1"}, "quantity"),
    ({"item_id": 1, "quantity": -2}, {"Idempotency-Key": "valid-key-1"}, "quantity"),
    ({"item_id": 1, "quantity": 1.5}, {"Idempotency-Key": "valid-key-1"}, "quantity"),
    ({"item_id": 1, "quantity": "2"}, {"Idempotency-Key": "valid-key-1"}, "quantity"),
    ({"item_id": 999}, {"Idempotency-Key": "valid-key-1"}, "item_id"),  # unknown item
]


def test_bad_orders_name_the_field_and_write_nothing(town):
    account = fund(town.volunteer_ids[0], town.community_id, 100)
    for body, headers, field in BAD_ORDERS:
        response = town.vol[0].post("/points/redemptions", json=body, headers=headers)
        assert response.status_code == 422, (body, response.json)
        assert field in response.json["errors"], (body, response.json)
    assert balance_of(account.id) == 100
    assert db.session.scalar(select(func.count(Redemption.id))) == 0


def test_more_than_the_balance_is_refused_and_nothing_is_written(town):
    account = fund(town.volunteer_ids[0], town.community_id, 59)
    response = order(town.vol[0], town.rice, quantity=2)
    assert response.status_code == 422
    assert response.json["error"] == "insufficient_points"
    assert response.json["errors"]["quantity"] == ["Needs 60 points, but the balance is 59."]
    assert response.json["balance"] == 59 and response.json["needed"] == 60
    assert balance_of(account.id) == 59 and stock_of(town.rice) == 3
    assert db.session.scalar(select(func.count(Redemption.id))) == 0


def test_more_than_the_stock_is_refused(town):
    fund(town.volunteer_ids[0], town.community_id, 500)
    response = order(town.vol[0], town.rice, quantity=4)
    assert response.status_code == 422 and response.json["error"] == "sold_out"
    assert response.json["errors"]["quantity"] == ["Only 3 left in stock."] and response.json["stock"] == 3
    assert order(town.vol[0], town.rice, quantity=3, key="all-of-them").status_code == 201
    assert order(town.vol[0], town.rice, quantity=1, key="one-more-please").json["stock"] == 0


def test_inactive_items_and_partners_cannot_be_ordered(town):
    fund(town.volunteer_ids[0], town.community_id, 500)
    town.fee.active = False
    town.shop.active = False
    db.session.commit()
    refused = order(town.vol[0], town.fee).json
    assert refused["error"] == "not_on_offer" and list(refused["errors"]) == ["item_id"]
    assert order(town.vol[0], town.rice, key="rice-key-01").status_code == 422


def test_redeeming_across_communities_needs_both_rules_to_allow_it(town, make_community, make_partner, make_item,
                                                                    set_rule):
    elsewhere = make_community()
    far_item = make_item(make_partner(elsewhere, name="邻社区超市"), price=10)
    fund(town.volunteer_ids[0], town.community_id, 100)
    refused = order(town.vol[0], far_item, key="cross-key-01")
    assert refused.status_code == 422 and "item_id" in refused.json["errors"]
    set_rule(town.community, cross_community=True)
    assert order(town.vol[0], far_item, key="cross-key-02").status_code == 422  # the other side still says no
    set_rule(elsewhere, cross_community=True)
    allowed = order(town.vol[0], far_item, key="cross-key-03")
    assert allowed.status_code == 201 and allowed.json["community_id"] == elsewhere.id
    items = town.vol[0].get("/points/items", query_string={"per_page": 50}).json["items"]
    assert far_item.id in {i["id"] for i in items}


def test_requested_approved_fulfilled_pays_the_partner(town):
    account = fund(town.volunteer_ids[0], town.community_id, 100)
    placed = order(town.vol[0], town.fee).json
    approved = town.coordinator.post(f"/points/redemptions/{placed['id']}/approve", json={})
    assert approved.status_code == 200 and approved.json["status"] == "approved"
    fulfilled = town.coordinator.post(f"/points/redemptions/{placed['id']}/fulfil", json={}).json
    assert fulfilled["status"] == "fulfilled" and fulfilled["fulfilled_at"]
    settle = db.session.get(Transfer, fulfilled["settle_transfer_id"])
    assert settle.to_account.partner_id == town.partner.id and settle.amount == 50
    assert balance_of(account.id) == 50 and balance_of(settle.to_account_id) == 50
    assert books_ok() is True


@pytest.mark.parametrize("action", ["reject", "cancel"])
def test_rejected_or_cancelled_orders_return_points_and_stock(town, action):
    account = fund(town.volunteer_ids[0], town.community_id, 100)
    placed = order(town.vol[0], town.rice, quantity=2).json
    response = town.coordinator.post(f"/points/redemptions/{placed['id']}/{action}", json={"reason": "缺货"})
    assert response.status_code == 200 and response.json["status"] == action.replace("cancel", "cancelled") \
        .replace("reject", "rejected")
    refund = db.session.get(Transfer, response.json["refund_transfer_id"])
    assert refund.reverses_id == placed["hold_transfer_id"] and refund.amount == 60
    assert balance_of(account.id) == 100 and stock_of(town.rice) == 3
    assert books_ok() is True


def test_rejecting_needs_a_reason(town):
    fund(town.volunteer_ids[0], town.community_id, 100)
    placed = order(town.vol[0], town.carpet).json
    response = town.coordinator.post(f"/points/redemptions/{placed['id']}/reject", json={"reason": " "})
    assert response.status_code == 422 and "reason" in response.json["errors"]


ILLEGAL = [  # actions that succeed, then the one that must be refused
    ["fulfil"],  # not approved yet
    ["approve", "approve"],
    ["approve", "reject"],  # an approved order is cancelled, not rejected
    ["approve", "fulfil", "cancel"],  # fulfilled is final
    ["cancel", "approve"],
    ["reject", "cancel"],
]


def test_illegal_status_changes_are_conflicts(town):
    fund(town.volunteer_ids[0], town.community_id, 100)
    for number, (*allowed, refused) in enumerate(ILLEGAL):
        placed = order(town.vol[0], town.carpet, key=f"illegal-{number:04d}").json
        for action in allowed:
            assert town.coordinator.post(f"/points/redemptions/{placed['id']}/{action}",
                                         json={"reason": "x"}).status_code == 200
        response = town.coordinator.post(f"/points/redemptions/{placed['id']}/{refused}", json={"reason": "x"})
        assert response.status_code == 409 and "status" in response.json["errors"], (allowed, refused)
    assert books_ok() is True


def test_the_payer_may_withdraw_a_request_but_not_decide(town):
    fund(town.volunteer_ids[0], town.community_id, 100)
    placed = order(town.vol[0], town.carpet).json
    assert town.vol[0].post(f"/points/redemptions/{placed['id']}/approve", json={}).status_code == 403
    assert town.vol[1].post(f"/points/redemptions/{placed['id']}/cancel", json={}).status_code == 404
    assert town.vol[0].post(f"/points/redemptions/{placed['id']}/cancel", json={}).status_code == 200
    second = order(town.vol[0], town.carpet, key="second-order").json
    town.coordinator.post(f"/points/redemptions/{second['id']}/approve", json={})
    assert town.vol[0].post(f"/points/redemptions/{second['id']}/cancel", json={}).status_code == 409


def test_coordinators_elsewhere_see_nothing(town, make_community, make_user, api_as):
    fund(town.volunteer_ids[0], town.community_id, 100)
    placed = order(town.vol[0], town.carpet).json
    stranger = api_as(make_user(communities=[make_community()]))
    assert stranger.get(f"/points/redemptions/{placed['id']}").status_code == 404
    assert stranger.post(f"/points/redemptions/{placed['id']}/approve", json={}).status_code == 404
    assert stranger.get("/points/redemptions").json["total"] == 0
    assert town.vol[1].get("/points/redemptions").json["total"] == 0
    assert town.vol[0].get("/points/redemptions").json["total"] == 1


def test_a_coordinator_orders_for_a_volunteer_at_the_counter(town):
    account = fund(town.volunteer_ids[0], town.community_id, 100)
    missing = order(town.coordinator, town.carpet)
    assert missing.status_code == 422 and "account_id" in missing.json["errors"]
    placed = order(town.coordinator, town.carpet, account_id=account.id)
    assert placed.status_code == 201 and placed.json["account_id"] == account.id
    assert order(town.vol[0], town.carpet, key="x-other-key", account_id=account.id + 100).status_code == 422
