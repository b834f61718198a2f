"""Points pages with the Flask test client: my points, redeeming (and double submits), orders,
gifts, the partner page, and the coordinators' rules, approvals, catalogue, grants and corrections;
bad input shown on the field with nothing written; ownership and scope."""
import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from volunteer_app.accounts.models import Role
from volunteer_app.extensions import db
from volunteer_app.notifications.models import Notification
from volunteer_app.points import service
from volunteer_app.points.models import (
    CatalogueItem, Earning, EarningRule, EarningStatus, Partner, PointAccount, Redemption, RedemptionStatus, Transfer,
    TransferKind,
)

from tests.support.pages import PASSWORD, logged_in, post, text_of
from tests.support.points import balance_of, fund

KEY = re.compile(r'name="item_id" value="(\d+)">\s*<input type="hidden" name="idempotency_key" value="([^"]+)"')


def field_error(response, name: str) -> str:
    """The text of the error shown under field ``name``."""
    found = re.search(rf'<p class="field-error[^"]*" id="{re.escape(name)}-error">(.*?)</p>', text_of(response), re.S)
    assert found, f"no error shown for {name}"
    return found.group(1)


def count(model) -> int:
    value = db.session.scalar(select(func.count()).select_from(model))
    db.session.rollback()
    return value


def account_of(volunteer_id: int) -> PointAccount:
    return db.session.scalar(select(PointAccount).where(PointAccount.volunteer_id == volunteer_id))


def form_key(client, item_id: int) -> str:
    """The idempotency key generated into the confirmation form of one item."""
    keys = dict(KEY.findall(text_of(client.get(f"/points/my/redeem?item_id={item_id}&quantity=1"))))
    return keys[str(item_id)]


def redeem(client, item, quantity="1", key=None):
    key = key or form_key(client, item.id)
    return post(client, "/points/my/redeem", {"item_id": item.id, "quantity": quantity, "idempotency_key": key},
                "/points/my")


@pytest.fixture()
def vol(town, app_ctx):
    """Volunteer 王芳 with 100 points, logged in."""
    fund(town.volunteer_ids[0], town.community_id, 100)
    return logged_in(app_ctx, "vol0")


@pytest.fixture()
def coord(town, app_ctx):
    return logged_in(app_ctx, "coord")


@pytest.fixture()
def outsider(town, app_ctx, make_community, make_user):
    """A coordinator of another community."""
    make_user(communities=[make_community(name="同心社区")], username="coord-other")
    return logged_in(app_ctx, "coord-other")


def place_order(vol, item, quantity="1") -> Redemption:
    response = redeem(vol, item, quantity)
    assert response.status_code == 302, text_of(response)
    order_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return db.session.get(Redemption, order_id)


# --- my points ---------------------------------------------------------------------------------------

def test_my_points_shows_balance_catalogue_and_menu_in_chinese(town, vol):
    page = vol.get("/points/my")
    html = text_of(page)
    assert page.status_code == 200
    assert re.search(r'<strong id="balance">100</strong>', html)
    assert "我的积分" in html and "兑换" in html
    for item in ("上门清洗地毯", "物业费抵扣10元", "大米5kg", "红心超市"):
        assert item in html
    assert "¥10.00" in html and "剩 3 件" in html  # the fee discount's amount and the goods' stock
    assert 'href="/points/my"' in html and "积分管理" not in html


def test_my_points_in_english(town, vol):
    vol.get("/lang/en", headers={"Referer": "http://localhost/points/my"})
    html = text_of(vol.get("/points/my"))
    assert 'lang="en"' in html and "My balance" in html and "Redeem" in html and "3 left" in html
    assert "我的积分" not in html


def test_a_user_without_a_volunteer_or_resident_record_is_told_so(town, app_ctx, make_user):
    make_user(role=Role.volunteer, username="lonely")
    page = logged_in(app_ctx, "lonely").get("/points/my")
    assert page.status_code == 200 and "没有积分" in text_of(page)


def test_redeem_places_an_order_and_a_double_submit_redeems_once(town, vol):
    key = form_key(vol, town.carpet.id)
    first = redeem(vol, town.carpet, "2", key)
    second = redeem(vol, town.carpet, "2", key)
    assert first.status_code == 302 and second.headers["Location"] == first.headers["Location"]
    assert count(Redemption) == 1
    assert balance_of(account_of(town.volunteer_ids[0]).id) == 60
    detail = text_of(vol.get(second.headers["Location"]))
    assert "已经提交过" in detail and "待审核" in detail and "2 × 20 = 40" in detail


def item_card(response, item) -> str:
    """The catalogue card of one item."""
    found = re.search(rf'<li class="card p-item[^"]*" id="item-{item.id}">(.*?)</li>', text_of(response), re.S)
    assert found, f"no card for {item.name}"
    return found.group(1)


def test_an_item_beyond_the_balance_cannot_be_redeemed_and_says_what_is_missing(town, app_ctx):
    fund(town.volunteer_ids[0], town.community_id, 40)
    catalogue = logged_in(app_ctx, "vol0").get("/points/my")
    fee = item_card(catalogue, town.fee)  # 50 points
    assert re.search(r'<button type="submit" class="btn btn-primary" disabled>积分不足</button>', fee)
    assert "还差 10 积分" in fee
    carpet = item_card(catalogue, town.carpet)  # 20 points
    assert re.search(r'<button type="submit" class="btn btn-primary">兑换</button>', carpet) and "还差" not in carpet


def test_redeeming_asks_to_confirm_item_price_and_balance_after_before_anything_is_taken(town, vol):
    carpet = item_card(vol.get("/points/my"), town.carpet)
    assert re.search(r'<form method="get" action="/points/my/redeem"', carpet)  # the catalogue only asks
    confirm = vol.get(f"/points/my/redeem?item_id={town.carpet.id}&quantity=2&note=下午来")
    page = text_of(confirm)
    assert confirm.status_code == 200 and "确认兑换" in page and "上门清洗地毯" in page
    assert "2 × 20 = 40 积分" in page
    assert re.search(r'当前余额</dt>\s*<dd>100 积分', page) and re.search(r'兑换后余额</dt>\s*<dd>60 积分', page)
    assert 'name="note" value="下午来"' in page and 'name="quantity" value="2"' in page
    assert count(Redemption) == 0 and balance_of(account_of(town.volunteer_ids[0]).id) == 100
    key = dict(KEY.findall(page))[str(town.carpet.id)]
    placed = post(vol, "/points/my/redeem", {"item_id": town.carpet.id, "quantity": "2", "idempotency_key": key,
                                             "note": "下午来"}, "/points/my")
    assert placed.status_code == 302 and count(Redemption) == 1
    assert balance_of(account_of(town.volunteer_ids[0]).id) == 60


def test_a_redemption_beyond_the_balance_is_refused_before_the_confirmation(town, vol):
    response = vol.get(f"/points/my/redeem?item_id={town.fee.id}&quantity=3")  # 150 points, 100 held
    assert response.status_code == 422 and "确认兑换" not in text_of(response)
    assert "需要 150 积分，但余额只有 100" in field_error(response, "quantity")


@pytest.mark.parametrize("quantity, message", [
    ("0", "请输入 1 至 100 之间的数值"), ("-3", "请输入 1 至 100 之间的数值"), ("1.5", "请输入整数"),
    ("两个", "请输入整数"), ("", "此项必填"),
])
def test_a_bad_quantity_is_named_and_nothing_is_written(town, vol, quantity, message):
    response = redeem(vol, town.carpet, quantity)
    assert response.status_code == 422
    assert message in field_error(response, "quantity")
    assert 'id="item-%d"' % town.carpet.id in text_of(response) and "p-target" in text_of(response)
    assert count(Redemption) == 0 and balance_of(account_of(town.volunteer_ids[0]).id) == 100


def test_more_than_the_balance_is_refused_on_the_field(town, vol):
    response = redeem(vol, town.fee, "3")  # 150 points, 100 held
    assert response.status_code == 422
    assert "需要 150 积分，但余额只有 100" in field_error(response, "quantity")
    assert count(Redemption) == 0 and count(Transfer) == 1  # only the funding earning


def test_more_than_the_stock_is_refused_on_the_field(town, vol):
    fund(town.volunteer_ids[0], town.community_id, 100)
    response = redeem(vol, town.rice, "4")
    assert response.status_code == 422
    assert "库存只剩 3" in field_error(response, "quantity")
    db.session.expire_all()
    assert db.session.get(CatalogueItem, town.rice.id).stock == 3 and count(Redemption) == 0


def test_statement_has_running_balance_pages_and_exports(town, vol):
    account = account_of(town.volunteer_ids[0])
    for _ in range(21):
        fund(town.volunteer_ids[0], town.community_id, 1)
    first = text_of(vol.get("/points/my/statement"))
    assert first.count('data-label="变动后余额"') == 20 and "第 1/2 页" in first
    assert re.search(r'data-label="变动后余额" class="p-num">121</td>', first)
    second = text_of(vol.get("/points/my/statement?page=2"))
    assert re.search(r'data-label="变动后余额" class="p-num">100</td>', second) and "服务积分" in second
    xlsx = vol.get(f"/api/v1/points/accounts/{account.id}/statement/export?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert f"/api/v1/points/accounts/{account.id}/statement/export?format=csv" in first


def test_a_volunteer_cannot_see_another_volunteers_statement(town, vol):
    other = fund(town.volunteer_ids[1], town.community_id, 5)
    assert vol.get(f"/points/accounts/{other.id}").status_code == 404
    assert vol.get(f"/api/v1/points/accounts/{other.id}/statement/export").status_code == 404
    assert vol.get(f"/points/accounts/{account_of(town.volunteer_ids[0]).id}").status_code == 200
    assert vol.get("/points/manage").status_code == 403


def test_my_earnings_show_pending_posted_capped_and_reversed_with_reasons(town, vol, set_rule, make_skill):
    volunteer_id, skill = town.volunteer_ids[0], make_skill(name_zh="理发")
    set_rule(town.community, weekly_cap=130)
    service.earn_for_source("assignment", 900, volunteer_id, town.community_id, 60, "shift",
                            datetime(2026, 11, 30, 19, 0), set())  # evening: 15 of the remaining 30 under the cap
    service.earn_for_source("assignment", 901, volunteer_id, town.community_id, 600, skill.code,
                            datetime(2026, 11, 30, 9, 0), set())  # 100 asked, 15 left under the cap
    service.earn_for_source("assignment", 902, volunteer_id, town.community_id, 60, None,
                            datetime(2026, 11, 30, 10, 0), set())  # the cap is reached
    service.reverse_source("assignment", 900, "未到岗")
    db.session.commit()
    set_rule(town.community, approval="coordinator")
    service.earn_for_source("assignment", 903, volunteer_id, town.community_id, 60, None,
                            datetime(2026, 12, 7, 10, 0), set())
    db.session.commit()
    html = text_of(vol.get("/points/my/earnings"))
    for label in ("待审核", "已入账", "已达每周上限", "已冲销", "未到岗", "晚间", "（共 100，每周上限）", "理发"):
        assert label in html, label
    only_pending = text_of(vol.get("/points/my/earnings?status=pending"))
    assert only_pending.count('id="earning-') == 1
    assert "1 笔服务积分待审核" in text_of(vol.get("/points/my"))



# --- orders ---------------------------------------------------------------------------------------------

def test_the_payer_cancels_a_requested_order_and_gets_the_points_back(town, vol):
    order = place_order(vol, town.rice, "2")
    orders = text_of(vol.get("/points/my/orders"))
    assert f'id="order-{order.id}"' in orders and "取消订单" in orders and "/approve" not in orders
    done = post(vol, f"/points/redemptions/{order.id}/cancel", {"reason": "不需要了"}, f"/points/redemptions/{order.id}")
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Redemption, order.id).status == RedemptionStatus.cancelled
    assert balance_of(account_of(town.volunteer_ids[0]).id) == 100
    assert db.session.get(CatalogueItem, town.rice.id).stock == 3
    detail = text_of(vol.get(f"/points/redemptions/{order.id}"))
    assert "已取消" in detail and "不需要了" in detail and "已退回" in detail


def test_the_order_page_shows_history_and_each_roles_actions(town, vol, coord, app_ctx, outsider):
    order = place_order(vol, town.carpet)
    note = db.session.scalar(select(Notification).where(Notification.user_id == town.coordinator_user.id))
    assert note.link == f"/points/redemptions/{order.id}"  # the link the service puts in the coordinator's inbox
    mine = text_of(vol.get(f"/points/redemptions/{order.id}"))
    assert "取消订单" in mine and "/approve" not in mine
    staff = text_of(coord.get(f"/points/redemptions/{order.id}"))
    assert f"/points/redemptions/{order.id}/approve" in staff and f"/points/redemptions/{order.id}/reject" in staff
    assert "测试用户" in staff  # who placed it, from the audit log
    other_volunteer = logged_in(app_ctx, "vol1")
    assert other_volunteer.get(f"/points/redemptions/{order.id}").status_code == 404
    assert outsider.get(f"/points/redemptions/{order.id}").status_code == 404
    refused = post(vol, f"/points/redemptions/{order.id}/approve", {}, "/points/my")
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(Redemption, order.id).status == RedemptionStatus.requested


def test_an_approved_order_is_no_longer_the_payers_to_cancel(town, vol, coord):
    order = place_order(vol, town.carpet)
    assert post(coord, f"/points/redemptions/{order.id}/approve", {}, "/points/manage/orders").status_code == 302
    assert "取消订单" not in text_of(vol.get(f"/points/redemptions/{order.id}"))
    late = post(vol, f"/points/redemptions/{order.id}/cancel", {}, "/points/my")
    assert late.status_code == 409 and "已批准，待兑付" in text_of(late)
    db.session.expire_all()
    assert db.session.get(Redemption, order.id).status == RedemptionStatus.approved


def test_the_partner_page_approves_fulfils_and_settles(town, vol, coord):
    order = place_order(vol, town.carpet)
    partner_page = f"/points/partners/{town.partner.id}"
    html = text_of(coord.get(partner_page))
    assert re.search(r'id="orders-requested".*?id="order-%d"' % order.id, html, re.S)
    approved = post(coord, f"/points/redemptions/{order.id}/approve", {"next": partner_page}, partner_page)
    assert approved.headers["Location"] == partner_page
    html = text_of(coord.get(partner_page))
    assert re.search(r'id="orders-approved".*?id="order-%d"' % order.id, html, re.S)
    assert "订单 %d 已批准" % order.id in html
    fulfilled = post(coord, f"/points/redemptions/{order.id}/fulfil", {"next": partner_page}, partner_page)
    assert fulfilled.status_code == 302
    html = text_of(coord.get(partner_page))
    assert '<strong class="p-num" id="owed">20</strong>' in html
    assert 'id="settlement-table"' in html and "上门清洗地毯" in html and "合计：1 单，20 积分" in html
    month = datetime.now().strftime("%Y-%m")
    export = coord.get(f"/api/v1/points/partners/{town.partner.id}/settlement/export?from_month={month}"
                       f"&to_month={month}&format=csv")
    assert export.status_code == 200 and "上门清洗地毯" in export.data.decode("utf-8-sig")
    assert "已兑付" in text_of(vol.get(f"/points/redemptions/{order.id}"))


def test_rejecting_needs_a_reason(town, vol, coord):
    order = place_order(vol, town.carpet)
    refused = post(coord, f"/points/redemptions/{order.id}/reject", {"reason": " "}, f"/points/redemptions/{order.id}")
    assert refused.status_code == 422 and "请说明原因" in field_error(refused, "reason")
    db.session.expire_all()
    assert db.session.get(Redemption, order.id).status == RedemptionStatus.requested
    done = post(coord, f"/points/redemptions/{order.id}/reject", {"reason": "本月已约满"},
                f"/points/redemptions/{order.id}")
    assert done.status_code == 302
    assert balance_of(account_of(town.volunteer_ids[0]).id) == 100


def test_a_bad_settlement_month_is_named(town, coord):
    response = coord.get(f"/points/partners/{town.partner.id}?from_month=2026-13")
    assert response.status_code == 422 and "YYYY-MM" in field_error(response, "from_month")


def test_orders_list_filters_by_status(town, vol, coord):
    first, second = place_order(vol, town.carpet), place_order(vol, town.rice)
    post(coord, f"/points/redemptions/{second.id}/approve", {}, "/points/manage/orders")
    waiting = text_of(coord.get("/points/manage/orders"))
    assert f'id="order-{first.id}"' in waiting and f'id="order-{second.id}"' not in waiting
    approved = text_of(coord.get("/points/manage/orders?status=approved"))
    assert f'id="order-{second.id}"' in approved and "标记为已兑付" in approved


# --- gifts -------------------------------------------------------------------------------------------------

def test_gifts_to_a_resident_in_difficulty_and_to_the_pool(town, vol):
    form = text_of(vol.get("/points/my/gift"))
    # Only residents in difficulty are offered, by surname and building: volunteers do not see full names.
    assert f'<option value="{town.needy.id}">赵* · ' in form and "赵大爷" not in form and "孙" not in form
    sent = post(vol, "/points/my/gift", {"recipient": town.needy.id, "amount": "10", "memo": "冬至"}, "/points/my/gift")
    assert sent.status_code == 302
    assert post(vol, "/points/my/gift", {"recipient": "pool", "amount": "5"}, "/points/my/gift").status_code == 302
    assert balance_of(account_of(town.volunteer_ids[0]).id) == 85
    assert re.search(r"本月已赠</dt><dd[^>]*>15 / 200<", text_of(vol.get("/points/my/gift")))


@pytest.mark.parametrize("data, field, message", [
    ({"recipient": "pool", "amount": "51"}, "amount", "每次最多赠送 50 积分"),
    ({"recipient": "pool", "amount": "0"}, "amount", "请输入 1 至 1000000 之间的数值"),
    ({"recipient": "pool", "amount": "2.5"}, "amount", "请输入整数"),
    ({"recipient": "", "amount": "5"}, "recipient", "请选择一位居民或社区积分池"),
    ({"recipient": "other", "amount": "5"}, "recipient", "只能赠送给困难居民"),
])
def test_bad_gifts_are_named_and_nothing_moves(town, vol, data, field, message):
    if data["recipient"] == "other":
        data = {**data, "recipient": town.other_resident.id}
    response = post(vol, "/points/my/gift", data, "/points/my/gift")
    assert response.status_code == 422
    assert message in field_error(response, field)
    assert count(Transfer) == 1 and balance_of(account_of(town.volunteer_ids[0]).id) == 100


def test_residents_hold_points_but_do_not_give_them(town, app_ctx, make_user):
    make_user(role=Role.resident, resident_id=town.needy.id, username="needy")
    resident = logged_in(app_ctx, "needy")
    page = text_of(resident.get("/points/my"))
    assert "我的积分" in page and "/points/my/gift" not in page and "/points/my/earnings" not in page
    assert resident.get("/points/my/gift").status_code == 403


# --- coordinators -------------------------------------------------------------------------------------------

def rule_form(**changes) -> dict:
    data = {"default_rate": "12", "evening_from": "18:30", "evening_percent": "150", "holiday_percent": "200",
            "callout_percent": "300", "weekly_cap": "", "approval": "coordinator", "gift_max_per_transfer": "30",
            "gift_max_per_month": "100", "gifts_enabled": "y", "gift_priority_only": "y",
            "rates-0-service_type": "haircut", "rates-0-rate": "20", "rates-1-service_type": "", "rates-1-rate": ""}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_rules_are_created_then_edited_with_a_version_check(town, coord):
    url = f"/points/manage/rules/{town.community_id}"
    assert "默认值" in text_of(coord.get("/points/manage/rules"))
    created = post(coord, url, rule_form(), url)
    assert created.status_code == 302, text_of(created)
    rule = db.session.scalar(select(EarningRule).where(EarningRule.community_id == town.community_id))
    assert (rule.default_rate, rule.rates, rule.callout_percent, rule.weekly_cap) == (12, {"haircut": 20}, 300, None)
    assert rule.approval.value == "coordinator" and rule.cross_community is False
    db.session.rollback()
    page = text_of(coord.get(url))
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    assert post(coord, url, rule_form(version=version, weekly_cap="200"), url).status_code == 302
    stale = post(coord, url, rule_form(version=version, weekly_cap="300"), url)
    assert stale.status_code == 409 and "已被其他人修改" in text_of(stale)
    db.session.expire_all()
    assert db.session.get(EarningRule, rule.id).weekly_cap == 200


@pytest.mark.parametrize("changes, field, message", [
    ({"evening_percent": "50"}, "evening_percent", "请输入 100 至 1000 之间的数值"),
    ({"default_rate": "十"}, "default_rate", "请输入整数"),
    ({"evening_from": "25:00"}, "evening_from", "HH:MM"),
    ({"gift_max_per_month": "0"}, "gift_max_per_month", "请输入 1 至 1000000 之间的数值"),
])
def test_bad_rules_are_named_and_not_saved(town, coord, changes, field, message):
    url = f"/points/manage/rules/{town.community_id}"
    response = post(coord, url, rule_form(**changes), url)
    assert response.status_code == 422 and message in field_error(response, field)
    assert count(EarningRule) == 0


def test_pending_earnings_are_approved_or_rejected_with_a_reason(town, coord, set_rule):
    set_rule(town.community, approval="coordinator")
    for source in (1, 2):
        service.earn_for_source("assignment", source, town.volunteer_ids[0], town.community_id, 60, None,
                                datetime(2026, 11, 30, 9, 0), set())
    db.session.commit()
    first, second = db.session.scalars(select(Earning).order_by(Earning.id)).all()
    listing = text_of(coord.get("/points/manage/earnings"))
    assert listing.count('id="earning-') == 2 and "王芳" in listing
    assert 'id="count-earnings">2<' in text_of(coord.get("/points/manage"))
    approved = post(coord, f"/points/earnings/{first.id}/approve", {}, "/points/manage/earnings")
    assert approved.status_code == 302
    no_reason = post(coord, f"/points/earnings/{second.id}/reject", {"reason": ""}, "/points/manage/earnings")
    assert no_reason.status_code == 422 and "请说明原因" in field_error(no_reason, "reason")
    rejected = post(coord, f"/points/earnings/{second.id}/reject", {"reason": "重复登记"}, "/points/manage/earnings")
    assert rejected.status_code == 302
    again = post(coord, f"/points/earnings/{second.id}/approve", {}, "/points/manage/earnings")
    assert again.status_code == 409 and "已经处理过" in text_of(again)
    db.session.expire_all()
    assert [e.status for e in db.session.scalars(select(Earning).order_by(Earning.id))] == [
        EarningStatus.posted, EarningStatus.rejected]
    assert balance_of(account_of(town.volunteer_ids[0]).id) == 10


def test_partners_and_items_are_added_edited_and_stocked(town, coord):
    created = post(coord, "/points/partners/new", {"community_id": town.community_id, "name": "好邻居便利店",
                                                    "kind": "shop", "active": "y"}, "/points/partners/new")
    assert created.status_code == 302
    partner = db.session.scalar(select(Partner).where(Partner.name == "好邻居便利店"))
    no_stock = post(coord, "/points/items/new", {"partner_id": partner.id, "name": "鸡蛋一盒", "kind": "goods",
                                                  "price": "15", "active": "y"}, "/points/items/new")
    assert no_stock.status_code == 422 and "商品须填写库存" in field_error(no_stock, "stock")
    bad_yuan = post(coord, "/points/items/new", {"partner_id": partner.id, "name": "物业费抵扣", "kind": "fee_discount",
                                                  "price": "50", "face_value_yuan": "十元"}, "/points/items/new")
    assert bad_yuan.status_code == 422 and "以元为单位" in field_error(bad_yuan, "face_value_yuan")
    assert count(CatalogueItem) == 3
    saved = post(coord, "/points/items/new", {"partner_id": partner.id, "name": "鸡蛋一盒", "kind": "goods",
                                               "price": "15", "stock": "10", "active": "y"}, "/points/items/new")
    assert saved.status_code == 302
    item = db.session.scalar(select(CatalogueItem).where(CatalogueItem.name == "鸡蛋一盒"))
    page = f"/points/partners/{partner.id}"
    negative = post(coord, f"/points/items/{item.id}/stock", {"stock": "-1", "version": item.version}, page)
    assert negative.status_code == 422 and "请输入 0 至 1000000 之间的数值" in field_error(negative, "stock")
    restocked = post(coord, f"/points/items/{item.id}/stock", {"stock": "25", "version": item.version}, page)
    assert restocked.status_code == 302
    stale = post(coord, f"/points/items/{item.id}/stock", {"stock": "5", "version": item.version}, page)
    assert stale.status_code == 409
    db.session.expire_all()
    assert db.session.get(CatalogueItem, item.id).stock == 25
    edit = f"/points/items/{item.id}/edit"
    version = re.search(r'name="version" value="(\d+)"', text_of(coord.get(edit))).group(1)
    renamed = post(coord, edit, {"partner_id": partner.id, "name": "鸡蛋两盒", "kind": "goods", "price": "25",
                                 "stock": "25", "version": version}, edit)
    assert renamed.status_code == 302
    db.session.expire_all()
    item = db.session.get(CatalogueItem, item.id)
    assert (item.name, item.price, item.active) == ("鸡蛋两盒", 25, False)
    assert post(coord, f"/points/items/{item.id}/delete", {}, page).status_code == 302
    assert count(CatalogueItem) == 3


def test_a_partner_with_items_is_not_deleted(town, coord):
    page = f"/points/partners/{town.shop.id}"
    response = post(coord, f"/points/partners/{town.shop.id}/delete", {}, page)
    assert response.headers["Location"] == page
    assert "停用" in text_of(coord.get(page)) and count(Partner) == 2


def test_grants_from_the_pool(town, vol, coord):
    post(vol, "/points/my/gift", {"recipient": "pool", "amount": "30"}, "/points/my/gift")
    form = text_of(coord.get("/points/manage/grants"))
    assert "赵大爷" in form and "王芳" in form and "30" in form
    too_much = post(coord, "/points/manage/grants", {"community_id": town.community_id,
                                                      "recipient": f"resident:{town.needy.id}", "amount": "31"},
                    "/points/manage/grants")
    assert too_much.status_code == 422 and "余额只有 30" in field_error(too_much, "amount")
    nobody = post(coord, "/points/manage/grants", {"community_id": town.community_id, "recipient": "", "amount": "5"},
                  "/points/manage/grants")
    assert nobody.status_code == 422 and "请选择一位居民或一位志愿者" in field_error(nobody, "recipient")
    granted = post(coord, "/points/manage/grants", {"community_id": town.community_id,
                                                     "recipient": f"resident:{town.needy.id}", "amount": "20",
                                                     "memo": "重阳节"}, "/points/manage/grants")
    assert granted.status_code == 302
    detail = text_of(coord.get(granted.headers["Location"]))
    assert "从积分池发放" in detail and "重阳节" in detail and "赵大爷" in detail


def test_a_coordinator_corrects_a_gift_with_a_reason(town, vol, coord):
    post(vol, "/points/my/gift", {"recipient": town.needy.id, "amount": "10"}, "/points/my/gift")
    gift = db.session.scalar(select(Transfer).where(Transfer.kind == TransferKind.gift))
    url = f"/points/transfers/{gift.id}"
    assert "冲正此笔" in text_of(coord.get(url)) and "冲正此笔" not in text_of(vol.get(url))
    no_reason = post(coord, f"{url}/reverse", {"reason": ""}, url)
    assert no_reason.status_code == 422 and field_error(no_reason, "reason")
    done = post(coord, f"{url}/reverse", {"reason": "误操作"}, url)
    assert done.status_code == 302
    assert balance_of(account_of(town.volunteer_ids[0]).id) == 100
    assert "被冲正" in text_of(coord.get(url)) and "冲正此笔" not in text_of(coord.get(url))
    assert post(vol, f"{url}/reverse", {"reason": "x"}, url).status_code == 403


def test_the_overview_shows_what_waits_and_the_administrator_the_books(town, vol, coord, make_user, app_ctx):
    place_order(vol, town.carpet)
    html = text_of(coord.get("/points/manage"))
    assert 'id="count-requested">1<' in html and 'id="books"' not in html  # the whole ledger: not theirs to read
    make_user(role=Role.admin, username="root-admin", password=PASSWORD)
    admin_html = text_of(logged_in(app_ctx, "root-admin").get("/points/manage"))
    assert "账目平衡" in admin_html and "p-bad" not in admin_html and 'id="count-requested">1<' in admin_html
    assert "积分管理" in html and town.community.name in html
    found = coord.get("/points/transfers/find?transfer_id=1")
    assert found.headers["Location"] == "/points/transfers/1"
    assert coord.get("/points/transfers/find?transfer_id=abc").headers["Location"] == "/points/manage"


def test_accounts_are_listed_and_searched(town, vol, coord):
    fund(town.volunteer_ids[1], town.community_id, 7)
    html = text_of(coord.get("/points/accounts?q=刘"))
    assert "刘洋" in html and "王芳" not in html
    account = account_of(town.volunteer_ids[1])
    assert re.search(r'data-label="变动后余额" class="p-num">7<', text_of(coord.get(f"/points/accounts/{account.id}")))


def test_staff_pages_are_for_staff_and_in_english(town, vol, coord):
    place_order(vol, town.carpet)
    paths = ("/points/manage", "/points/manage/rules", "/points/manage/earnings", "/points/manage/orders",
             "/points/partners", f"/points/partners/{town.partner.id}", "/points/manage/grants",
             "/points/accounts", "/points/partners/new", "/points/items/new", "/points/manage/orders?status=",
             f"/points/manage/rules/{town.community_id}", f"/points/items/{town.rice.id}/edit")
    for path in paths:
        assert coord.get(path).status_code == 200, path
        assert vol.get(path).status_code == 403, path
    coord.get("/lang/en")
    html = text_of(coord.get("/points/manage"))
    assert "Points management" in html and "Orders to approve" in html
    for path in paths:
        page = coord.get(path)
        assert page.status_code == 200 and 'lang="en"' in text_of(page), path


def test_an_out_of_scope_coordinator_gets_404(town, vol, outsider):
    order = place_order(vol, town.carpet)
    account = account_of(town.volunteer_ids[0])
    for path in (f"/points/partners/{town.partner.id}", f"/points/manage/rules/{town.community_id}",
                 f"/points/redemptions/{order.id}", f"/points/accounts/{account.id}", "/points/transfers/1",
                 f"/points/items/{town.carpet.id}/edit"):
        assert outsider.get(path).status_code == 404, path
    response = post(outsider, f"/points/redemptions/{order.id}/approve", {}, "/points/manage")
    assert response.status_code == 404
    assert f">{town.partner.name}</a>" not in text_of(outsider.get("/points/partners"))
    db.session.expire_all()
    assert db.session.get(Redemption, order.id).status == RedemptionStatus.requested


def test_forms_need_the_csrf_token(town, vol):
    response = vol.post("/points/my/redeem", data={"item_id": town.carpet.id, "quantity": "1",
                                                    "idempotency_key": "no-csrf-key-1"})
    assert response.status_code in (400, 403) and count(Redemption) == 0
