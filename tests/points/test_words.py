"""Points refusals are written where the rule is, with a stable code: the API answers in the language its
client asks for (English by default), the page in the page's, and no table translates English back."""
import html
import re

from tests.support.pages import logged_in, text_of
from tests.support.points import MONDAY_MORNING, fund


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


def _visible(page, region: str) -> str:
    """The text a person reads in the page's ``region`` (a regular expression over the HTML), tags removed."""
    found = re.search(region, text_of(page), re.S)
    assert found, region
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(0)))


def test_a_statement_and_inbox_read_in_one_language_only(town, app_ctx):
    """The app's own memos (an earning, a refund, a reversal), the names of the community's accounts and the
    message about a rejected order are words at their source: in English they hold no Chinese, in Chinese no
    English; only the names and text people typed stay as they are."""
    from types import SimpleNamespace

    from volunteer_app.extensions import db
    from volunteer_app.points import service
    from volunteer_app.points.models import PointAccount

    for source_id in (7001, 7002):
        service.earn_for_source("assignment", source_id, town.volunteer_ids[0], town.community_id, 300, None,
                                MONDAY_MORNING, set())
    service.reverse_assignment(SimpleNamespace(id=7002))  # the served mark was taken back
    db.session.commit()
    placed = town.vol[0].post("/points/redemptions", json={"item_id": town.fee.id, "quantity": 1},
                              headers={"Idempotency-Key": "one-language-1"}).json
    typed = "本月额度已满"  # the coordinator's reason, as typed
    assert town.coordinator.post(f"/points/redemptions/{placed['id']}/reject", json={"reason": typed}).status_code == 200
    names = (town.fee.name, town.community.name, typed)

    def read(language: str) -> str:
        pages = logged_in(app_ctx, "vol0")
        headers = {"Accept-Language": language}
        statement = _visible(pages.get("/points/my/statement", headers=headers),
                             r'<table class="table" id="statement">.*?</table>')
        inbox = _visible(pages.get("/inbox", headers=headers), r'<ul class="r-list r-cards">.*?</ul>')
        text = statement + inbox
        for name in names:
            text = text.replace(name, " ")
        return text

    english, chinese = read("en"), read("zh-CN")
    for expected in ("Roster duty No. 7001: 300 min", "No longer marked as served", "Issuance of",
                     "Orders in progress of", "Points order: Rejected", "Rejected:"):
        assert expected in english, expected
    for expected in ("排班值守 7001：300 分钟", "不再标记为已服务", "积分发行", "待兑付订单", "积分兑换已驳回", "已驳回："):
        assert expected in chinese, expected
    assert not re.findall(r"[\u4e00-\u9fff]+", english)
    assert not re.findall(r"[A-Za-z]{2,}", chinese)
    db.session.expire_all()
    issuance = db.session.scalar(db.select(PointAccount).where(PointAccount.owner_key == f"issuance:{town.community_id}"))
    assert issuance.name == town.community.name  # stored once, read as what it is in each language
