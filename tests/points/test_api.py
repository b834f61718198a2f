"""Accounts, statements, exports, rules and catalogue CRUD, gifts, grants, corrections, earnings, settlement, CLI."""
import csv
import io
from datetime import datetime, timezone

from openpyxl import load_workbook
from sqlalchemy import update

from volunteer_app.accounts.models import Role
from volunteer_app.extensions import db
from volunteer_app.points.models import PointAccount, Redemption

from tests.support.points import MONDAY_MORNING, balance_of, fund


def order(api, item, key, quantity=1):
    response = api.post("/points/redemptions", json={"item_id": item.id, "quantity": quantity},
                        headers={"Idempotency-Key": key})
    assert response.status_code == 201, response.json
    return response.json


# --- accounts and statements -------------------------------------------------------------


def test_accounts_are_scoped(town, make_community, make_user, api_as):
    own = fund(town.volunteer_ids[0], town.community_id, 30)
    fund(town.volunteer_ids[1], town.community_id, 10)
    mine = town.vol[0].get("/points/accounts").json
    assert [a["id"] for a in mine["items"]] == [own.id] and mine["items"][0]["balance"] == 30
    everyone = town.coordinator.get("/points/accounts", query_string={"kind": "volunteer"}).json
    assert everyone["total"] == 2
    issuance = town.coordinator.get("/points/accounts", query_string={"kind": "issuance"}).json["items"]
    assert [a["balance"] for a in issuance] == [-40]
    stranger = api_as(make_user(communities=[make_community()]))
    assert stranger.get("/points/accounts").json["total"] == 0
    assert stranger.get(f"/points/accounts/{own.id}").status_code == 404
    assert town.vol[1].get(f"/points/accounts/{own.id}/statement").status_code == 404


def test_my_account_opens_on_first_use(town, make_user, api_as):
    first = town.vol[1].get("/points/my-account")
    assert first.status_code == 200 and first.json["balance"] == 0 and first.json["kind"] == "volunteer"
    assert town.vol[1].get("/points/my-account").json["id"] == first.json["id"]
    assert town.coordinator.get("/points/my-account").status_code == 404


def test_statement_has_a_running_balance_newest_first_and_pages(town):
    account = fund(town.volunteer_ids[0], town.community_id, 100)
    order(town.vol[0], town.carpet, "statement-1")
    refused = order(town.vol[0], town.fee, "statement-2")
    town.coordinator.post(f"/points/redemptions/{refused['id']}/reject", json={"reason": "本月额度已满"})
    page = town.vol[0].get(f"/points/accounts/{account.id}/statement", query_string={"per_page": 2}).json
    assert page["total"] == 4 and page["pages"] == 2
    lines = page["items"] + town.vol[0].get(f"/points/accounts/{account.id}/statement",
                                            query_string={"per_page": 2, "page": 2}).json["items"]
    assert [(line["kind"], line["amount"], line["balance_after"]) for line in lines] == [
        ("reversal", 50, 80), ("redemption", -50, 30), ("redemption", -20, 80), ("earning", 100, 100)]
    assert lines[0]["reverses_id"] == refused["hold_transfer_id"]
    assert (lines[0]["memo"], lines[1]["counterparty"]) == ("Rejected: 物业费抵扣10元 × 1", "Orders in progress of 维北社区")
    chinese = town.vol[0].get(f"/points/accounts/{account.id}/statement", headers={"Accept-Language": "zh-CN"}).json
    assert (chinese["items"][0]["memo"], chinese["items"][1]["counterparty"]) == ("已驳回：物业费抵扣10元 × 1",
                                                                                  "维北社区待兑付订单")


def test_statement_exports_as_xlsx_and_csv(town):
    account = fund(town.volunteer_ids[0], town.community_id, 100)
    order(town.vol[0], town.carpet, "export-key-1")
    workbook = town.vol[0].get(f"/points/accounts/{account.id}/statement/export")
    assert workbook.status_code == 200 and workbook.mimetype.endswith("spreadsheetml.sheet")
    rows = list(load_workbook(io.BytesIO(workbook.data)).active.iter_rows(values_only=True))
    assert rows[1][:7] == ("时间", "类型", "说明", "对方", "收入", "支出", "余额")
    assert [(r[1], r[4], r[5], r[6]) for r in rows[2:]] == [("服务积分", 100, None, 100), ("兑换", None, 20, 80)]
    text = town.vol[0].get(f"/points/accounts/{account.id}/statement/export", query_string={"format": "csv"})
    assert text.data.startswith("\ufeff".encode()) and text.headers["Content-Type"] == "text/csv; charset=utf-8"
    lines = list(csv.reader(io.StringIO(text.data.decode("utf-8-sig"))))
    assert lines[0][6] == "余额" and [line[6] for line in lines[1:]] == ["100", "80"]


# --- rules and catalogue -------------------------------------------------------------------------


def test_earning_rules_crud_by_coordinators(town):
    body = {"community_id": town.community_id, "default_rate": 12, "rates": {"haircut": 20},
            "evening_from": "19:00", "weekly_cap": 100, "approval": "coordinator"}
    created = town.coordinator.post("/points/rules", json=body)
    assert created.status_code == 201, created.json
    assert created.json["evening_percent"] == 150 and created.json["gifts_enabled"] is True
    assert town.coordinator.post("/points/rules", json=body).status_code == 409
    patched = town.coordinator.patch(f"/points/rules/{created.json['id']}", json={"version": 1, "weekly_cap": None})
    assert patched.status_code == 200 and patched.json["weekly_cap"] is None
    stale = town.coordinator.patch(f"/points/rules/{created.json['id']}", json={"version": 1, "default_rate": 5})
    assert stale.status_code == 409
    moved = town.coordinator.patch(f"/points/rules/{created.json['id']}", json={"version": 2, "community_id": 999})
    assert moved.status_code == 422 and "community_id" in moved.json["errors"]
    assert town.vol[0].get("/points/rules").json["total"] == 1  # volunteers read their community's rule
    assert town.vol[0].patch(f"/points/rules/{created.json['id']}", json={"version": 2}).status_code == 403


def test_bad_rules_name_the_field(town):
    for field, value in [("default_rate", -1), ("default_rate", 2.5), ("evening_percent", 50),
                         ("rates", {"haircut": "many"}), ("rates", {"bad key!": 3}), ("evening_from", "25:00"),
                         ("gift_max_per_month", 0), ("approval", "anyone"), ("weekly_cap", 0)]:
        response = town.coordinator.post("/points/rules", json={"community_id": town.community_id, field: value})
        assert response.status_code == 422 and field in response.json["errors"], (field, value, response.json)


def test_catalogue_crud_checks_each_kind(town):
    base = {"partner_id": town.shop.id, "name": "食用油", "price": 40}
    goods = town.coordinator.post("/points/items", json={**base, "kind": "goods"})
    assert goods.status_code == 422 and "stock" in goods.json["errors"]
    discount = town.coordinator.post("/points/items", json={**base, "kind": "fee_discount"})
    assert "face_value_fen" in discount.json["errors"]
    for bad in ({"price": 0}, {"price": -10}, {"price": 1.5}, {"stock": -1}, {"partner_id": 999}):
        response = town.coordinator.post("/points/items", json={**base, "kind": "goods", "stock": 5, **bad})
        assert response.status_code == 422 and set(bad) <= set(response.json["errors"]), (bad, response.json)
    created = town.coordinator.post("/points/items", json={**base, "kind": "goods", "stock": 5})
    assert created.status_code == 201 and created.json["community_id"] == town.community_id
    assert created.json["partner_name"] == "红心超市"
    restocked = town.coordinator.patch(f"/points/items/{created.json['id']}", json={"version": 1, "stock": 9})
    assert restocked.status_code == 200 and restocked.json["stock"] == 9
    assert town.coordinator.delete(f"/points/items/{created.json['id']}").status_code == 204


def test_items_with_orders_and_partners_with_items_are_deactivated_not_deleted(town):
    fund(town.volunteer_ids[0], town.community_id, 100)
    order(town.vol[0], town.carpet, "delete-key-1")
    assert town.coordinator.delete(f"/points/items/{town.carpet.id}").status_code == 409
    assert town.coordinator.delete(f"/points/partners/{town.partner.id}").status_code == 409
    hidden = town.coordinator.patch(f"/points/partners/{town.partner.id}", json={"version": 1, "active": False})
    assert hidden.status_code == 200
    visible = {i["id"] for i in town.vol[0].get("/points/items").json["items"]}
    assert visible == {town.rice.id}  # the inactive partner's offers are hidden from volunteers


def test_a_stock_change_by_a_redemption_makes_an_older_edit_stale(town):
    fund(town.volunteer_ids[0], town.community_id, 100)
    version = town.coordinator.get(f"/points/items/{town.rice.id}").json["version"]
    order(town.vol[0], town.rice, "stale-key-1")
    stale = town.coordinator.patch(f"/points/items/{town.rice.id}", json={"version": version, "stock": 10})
    assert stale.status_code == 409


# --- gifts, grants, corrections -----------------------------------------------------------------------


def test_gifts_to_a_resident_in_difficulty_or_the_pool(town):
    account = fund(town.volunteer_ids[0], town.community_id, 100)
    gift = town.vol[0].post("/points/gifts", json={"amount": 20, "resident_id": town.needy.id, "memo": "冬天买煤"})
    assert gift.status_code == 201 and gift.json["to_name"] == "赵大爷"
    pool = town.vol[0].post("/points/gifts", json={"amount": 5, "to_pool": True})
    assert pool.status_code == 201 and pool.json["to_name"] == "Community pool of 维北社区"
    assert balance_of(account.id) == 75


def test_gifts_stay_within_the_community_limits(town, set_rule, make_resident, make_building, make_grid):
    fund(town.volunteer_ids[0], town.community_id, 500)
    set_rule(town.community, gift_max_per_transfer=30, gift_max_per_month=50)
    far = make_resident(building=make_building(grid=make_grid()))
    cases = [
        ({"amount": 31, "to_pool": True}, 422, "amount"),  # above the per-gift limit
        ({"amount": 0, "to_pool": True}, 422, "amount"),
        ({"amount": -5, "to_pool": True}, 422, "amount"),
        ({"amount": 2.5, "to_pool": True}, 422, "amount"),
        ({"amount": 5}, 422, "resident_id"),  # no recipient
        ({"amount": 5, "to_pool": True, "resident_id": town.needy.id}, 422, "resident_id"),  # two recipients
        ({"amount": 5, "resident_id": town.other_resident.id}, 422, "resident_id"),  # not in difficulty
        ({"amount": 5, "resident_id": far.id}, 422, "resident_id"),  # another community
    ]
    for body, status, field in cases:
        response = town.vol[0].post("/points/gifts", json=body)
        assert response.status_code == status and field in response.json["errors"], (body, response.json)
    assert town.vol[0].post("/points/gifts", json={"amount": 30, "to_pool": True}).status_code == 201
    over = town.vol[0].post("/points/gifts", json={"amount": 21, "to_pool": True})
    assert over.status_code == 422 and over.json["error"] == "monthly_gift_limit" and "amount" in over.json["errors"]
    assert over.json["errors"]["amount"] == ["At most 20 more points this month (the limit is 50 a month)."]
    set_rule(town.community, gift_priority_only=False)
    assert town.vol[0].post("/points/gifts", json={"amount": 5, "resident_id": town.other_resident.id}).status_code \
        == 201
    set_rule(town.community, gifts_enabled=False)
    assert town.vol[0].post("/points/gifts", json={"amount": 1, "to_pool": True}).status_code == 403


def test_a_gift_cannot_exceed_the_balance(town):
    fund(town.volunteer_ids[0], town.community_id, 10)
    response = town.vol[0].post("/points/gifts", json={"amount": 11, "to_pool": True})
    assert response.status_code == 422 and response.json["error"] == "insufficient_points"
    assert response.json["errors"]["amount"] == ["Needs 11 points, but the balance is 10."]


def test_grants_from_the_pool_and_corrections(town):
    fund(town.volunteer_ids[0], town.community_id, 100)
    town.vol[0].post("/points/gifts", json={"amount": 40, "to_pool": True})
    too_much = town.coordinator.post("/points/grants", json={"community_id": town.community_id, "amount": 41,
                                                             "resident_id": town.other_resident.id})
    assert too_much.status_code == 422 and "amount" in too_much.json["errors"]
    grant = town.coordinator.post("/points/grants", json={"community_id": town.community_id, "amount": 25,
                                                          "resident_id": town.other_resident.id, "memo": "困难补助"})
    assert grant.status_code == 201
    assert town.vol[0].post("/points/grants", json={"community_id": town.community_id, "amount": 1,
                                                    "volunteer_id": town.volunteer_ids[0]}).status_code == 403
    reversal = town.coordinator.post(f"/points/transfers/{grant.json['id']}/reverse", json={"reason": "发错人了"})
    assert reversal.status_code == 201 and reversal.json["reverses_id"] == grant.json["id"]
    again = town.coordinator.post(f"/points/transfers/{grant.json['id']}/reverse", json={"reason": "again"})
    assert again.status_code == 409
    undo_undo = town.coordinator.post(f"/points/transfers/{reversal.json['id']}/reverse", json={"reason": "x"})
    assert undo_undo.status_code == 409
    assert town.coordinator.post(f"/points/transfers/{grant.json['id']}/reverse", json={}).status_code == 422


def test_orders_are_corrected_through_the_order_not_the_transfer(town):
    fund(town.volunteer_ids[0], town.community_id, 100)
    placed = order(town.vol[0], town.carpet, "correct-key-1")
    response = town.coordinator.post(f"/points/transfers/{placed['hold_transfer_id']}/reverse", json={"reason": "x"})
    assert response.status_code == 409 and "transfer_id" in response.json["errors"]
    assert town.vol[0].get(f"/points/transfers/{placed['hold_transfer_id']}").status_code == 200
    assert town.vol[1].get(f"/points/transfers/{placed['hold_transfer_id']}").status_code == 404


# --- earnings -------------------------------------------------------------------------------------------


def test_pending_earnings_are_listed_and_decided_by_coordinators(town, set_rule):
    from volunteer_app.points import service

    set_rule(town.community, approval="coordinator")
    for source_id in (1, 2):
        service.earn_for_source("request", source_id, town.volunteer_ids[0], town.community_id, 60, None,
                                MONDAY_MORNING, set())
    db.session.commit()
    pending = town.coordinator.get("/points/earnings", query_string={"status": "pending"}).json
    assert pending["total"] == 2 and town.vol[0].get("/points/earnings").json["total"] == 2
    assert town.vol[1].get("/points/earnings").json["total"] == 0
    first, second = sorted(e["id"] for e in pending["items"])
    assert town.vol[0].post(f"/points/earnings/{first}/approve").status_code == 403
    approved = town.coordinator.post(f"/points/earnings/{first}/approve")
    assert approved.status_code == 200 and approved.json["status"] == "posted" and approved.json["points"] == 10
    assert town.coordinator.post(f"/points/earnings/{first}/approve").status_code == 409
    assert town.coordinator.post(f"/points/earnings/{second}/reject", json={}).status_code == 422
    assert town.coordinator.post(f"/points/earnings/{second}/reject", json={"reason": "重复"}).json["status"] == \
        "rejected"
    reversal = town.coordinator.post(f"/points/transfers/{approved.json['transfer_id']}/reverse",
                                     json={"reason": "投诉属实"})
    assert reversal.status_code == 201
    assert town.coordinator.get("/points/earnings", query_string={"status": "reversed"}).json["total"] == 1


# --- settlement and verification --------------------------------------------------------------------------


def _fulfil(town, placed, when: datetime):
    town.coordinator.post(f"/points/redemptions/{placed['id']}/approve", json={})
    town.coordinator.post(f"/points/redemptions/{placed['id']}/fulfil", json={})
    db.session.execute(update(Redemption).where(Redemption.id == placed["id"]).values(fulfilled_at=when))
    db.session.commit()


def test_partner_settlement_per_month_with_exports(town):
    fund(town.volunteer_ids[0], town.community_id, 500)
    october = order(town.vol[0], town.carpet, "settle-key-1", quantity=2)
    november = [order(town.vol[0], town.carpet, "settle-key-2"), order(town.vol[0], town.fee, "settle-key-3")]
    order(town.vol[0], town.fee, "settle-key-4")  # never fulfilled: not in the report
    # 16:30 UTC on 31 October is already 1 November in China.
    _fulfil(town, october, datetime(2026, 10, 31, 15, 0, tzinfo=timezone.utc))
    for placed in november:
        _fulfil(town, placed, datetime(2026, 10, 31, 16, 30, tzinfo=timezone.utc))
    args = {"from_month": "2026-10", "to_month": "2026-11"}
    report = town.coordinator.get(f"/points/partners/{town.partner.id}/settlement", query_string=args).json
    assert [(m["month"], m["orders"], m["points"]) for m in report["months"]] == [("2026-10", 1, 40),
                                                                                 ("2026-11", 2, 70)]
    assert report["total_points"] == 110
    assert town.vol[0].get(f"/points/partners/{town.partner.id}/settlement", query_string=args).status_code == 403
    backwards = town.coordinator.get(f"/points/partners/{town.partner.id}/settlement",
                                     query_string={"from_month": "2026-11", "to_month": "2026-10"})
    assert backwards.status_code == 422 and "query.to_month" in backwards.json["errors"]
    bad = town.coordinator.get(f"/points/partners/{town.partner.id}/settlement", query_string={"from_month": "2026-13"})
    assert bad.status_code == 422 and "query.from_month" in bad.json["errors"]
    sheet = town.coordinator.get(f"/points/partners/{town.partner.id}/settlement/export", query_string=args)
    rows = list(load_workbook(io.BytesIO(sheet.data)).active.iter_rows(values_only=True))
    assert rows[-1] == ("合计", None, None, None, 3, 4, 110)
    text = town.coordinator.get(f"/points/partners/{town.partner.id}/settlement/export",
                                query_string={**args, "format": "csv"}).data.decode("utf-8-sig")
    assert "2026-11,物业费抵扣10元,物业费抵扣,50,1,1,50" in text


def test_a_settlement_writes_an_item_named_like_a_formula_as_text(town):
    """Issue 14: text starting with "=", "+", "-" or "@" is text in the workbook and marked as text in the CSV."""
    town.carpet.name = "@SUM(1+1)"
    db.session.commit()
    fund(town.volunteer_ids[0], town.community_id, 100)
    _fulfil(town, order(town.vol[0], town.carpet, "formula-key-1"), datetime(2026, 11, 2, tzinfo=timezone.utc))
    args = {"from_month": "2026-11", "to_month": "2026-11"}
    sheet = town.coordinator.get(f"/points/partners/{town.partner.id}/settlement/export", query_string=args)
    cell = load_workbook(io.BytesIO(sheet.data)).active["B3"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == ("@SUM(1+1)", "s", True)
    text = town.coordinator.get(f"/points/partners/{town.partner.id}/settlement/export",
                                query_string={**args, "format": "csv"}).data.decode("utf-8-sig")
    assert "2026-11,'@SUM(1+1)," in text


def test_points_verify_command(town, app_ctx):
    fund(town.volunteer_ids[0], town.community_id, 100)
    order(town.vol[0], town.carpet, "verify-key-1")
    runner = app_ctx.test_cli_runner()
    result = runner.invoke(args=["points", "verify"])
    assert result.exit_code == 0 and result.output.startswith("ok: 3 accounts, 2 transfers, total 0"), result.output
    db.session.execute(update(PointAccount).where(PointAccount.kind == "holding").values(balance=0))
    db.session.commit()
    result = runner.invoke(args=["points", "verify"])
    assert result.exit_code == 1
    assert "cached balance 0 != sum of entries 20" in result.output
    assert "!= 20 from the orders" in result.output


def test_volunteers_and_residents_cannot_write_the_catalogue(town, make_user, api_as):
    resident = api_as(make_user(role=Role.resident, resident_id=town.needy.id))
    assert resident.post("/points/items", json={"partner_id": town.shop.id, "name": "x", "kind": "service",
                                                "price": 1}).status_code == 403
    assert resident.get("/points/my-account").json["kind"] == "resident"
