"""Points refusals are written where the rule is, with a stable code: the API answers in the language its
client asks for (English by default), the page in the page's, and no table translates English back."""
import re

from tests.support.pages import logged_in, text_of
from tests.support.points import fund


def test_a_refusal_reads_in_the_readers_language_with_one_code(town, app_ctx):
    fund(town.volunteer_ids[0], town.community_id, 100)
    body = {"item_id": town.fee.id, "quantity": 3}  # 150 points, 100 held

    def order(key, **headers):
        return town.vol[0].post("/points/redemptions", json=body, headers={"Idempotency-Key": key, **headers})

    english, chinese = order("words-key-en"), order("words-key-zh", **{"Accept-Language": "zh-CN"})
    assert english.status_code == chinese.status_code == 422
    assert english.json["error"] == chinese.json["error"] == "insufficient_points"
    assert english.json["message"] == "Needs 150 points, but the balance is 100."
    assert english.json["errors"]["quantity"] == ["Needs 150 points, but the balance is 100."]
    assert chinese.json["errors"]["quantity"] == ["需要 150 积分，但余额只有 100。"]

    page = logged_in(app_ctx, "vol0").get(f"/points/my/redeem?item_id={town.fee.id}&quantity=3")
    assert page.status_code == 422
    assert re.search(r'id="quantity-error">需要 150 积分，但余额只有 100。<', text_of(page))


def test_marshmallow_speaks_the_readers_language_too(town):
    bad = {"item_id": town.carpet.id, "quantity": "two"}
    english = town.vol[0].post("/points/redemptions", json=bad, headers={"Idempotency-Key": "words-key-01"})
    chinese = town.vol[0].post("/points/redemptions", json=bad,
                               headers={"Idempotency-Key": "words-key-02", "Accept-Language": "zh-CN"})
    assert english.json["errors"]["quantity"] == ["Enter a whole number."]
    assert chinese.json["errors"]["quantity"] == ["请输入整数。"]
