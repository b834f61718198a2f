"""Priced services are paid in points and given back when the service does not happen;
the volunteer who closes a request earns its points once it is rated."""
from sqlalchemy import func, select

from volunteer_app.extensions import db
from volunteer_app.points import ledger
from volunteer_app.points.models import Earning, EarningStatus, PointAccount, Transfer, TransferKind
from volunteer_app.service_requests.models import Booking, ServiceRequest, ServiceSlot

from tests.support.services import balance, file, fund_resident, move


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_booking_is_paid_refunded_on_cancel_and_free_for_priority_groups(town, make_event):
    town["clinic"].points_price = 10
    db.session.commit()
    event, slots = make_event()
    regular, low_income = town["resident_apis"]
    account = town["resident_account_id"]
    booked = regular.post("/bookings", json={"slot_id": slots[0]["id"]}).json
    assert booked["price_points"] == 10 and balance(account) == 90
    assert low_income.post("/bookings", json={"slot_id": slots[0]["id"]}).json["price_points"] == 0
    assert regular.post(f"/bookings/{booked['id']}/cancel", json={"reason": "有事"}).status_code == 200
    assert balance(account) == 100
    charge = db.session.get(Booking, booked["id"]).charge
    assert charge.kind == TransferKind.service_charge and ledger.reversal_of(charge) is not None

    again = regular.post("/bookings", json={"slot_id": slots[1]["id"]}).json
    assert again["status"] == "booked" and balance(account) == 90
    assert town["coordinator"].post(f"/service-events/{event['id']}/cancel", json={"reason": "医生临时有事"}).status_code == 200
    assert balance(account) == 100  # the event was called off: paid places come back
    assert ledger.verify().ok


def test_too_few_points_refuses_the_booking_and_takes_no_place(town, make_event, make_resident, make_user, api_as):
    town["clinic"].points_price = 150
    db.session.commit()
    event, slots = make_event()
    regular = town["resident_apis"][0]
    refused = regular.post("/bookings", json={"slot_id": slots[0]["id"]})
    assert refused.status_code == 422 and refused.json["error"] == "insufficient_points"
    assert "150" in refused.json["errors"]["slot_id"][0] and refused.json["needed"] == 150
    waiting = regular.post("/bookings", json={"slot_id": slots[0]["id"], "waitlist": True})
    assert waiting.status_code == 422  # joining the line would only end in disappointment
    db.session.expire_all()
    assert db.session.get(ServiceSlot, slots[0]["id"]).booked == 0 and count(Booking) == 0
    assert balance(town["resident_account_id"]) == 100


def test_a_waiting_resident_who_can_no_longer_pay_is_skipped_and_told(town, make_event, make_resident, make_user,
                                                                      api_as):
    from volunteer_app.accounts.models import Role

    town["clinic"].points_price = 60
    db.session.commit()
    event, slots = make_event(capacity_per_slot=1)
    holder_resident = make_resident(building=town["building"], name="赵六")
    fund_resident(holder_resident, 60)
    later_resident = make_resident(building=town["building"], name="钱七")
    later_account = fund_resident(later_resident, 60)
    holder = api_as(make_user(role=Role.resident, resident_id=holder_resident.id))
    later = api_as(make_user(role=Role.resident, resident_id=later_resident.id))
    regular = town["resident_apis"][0]
    held = holder.post("/bookings", json={"slot_id": slots[0]["id"]}).json
    first_in_line = regular.post("/bookings", json={"slot_id": slots[0]["id"], "waitlist": True}).json
    second_in_line = later.post("/bookings", json={"slot_id": slots[0]["id"], "waitlist": True}).json
    # The first in line spends their points elsewhere before the place frees up.
    regular.post("/bookings", json={"slot_id": slots[2]["id"]})
    assert balance(town["resident_account_id"]) == 40
    holder.post(f"/bookings/{held['id']}/cancel", json={})
    skipped = regular.get(f"/bookings/{first_in_line['id']}").json
    assert skipped["status"] == "cancelled" and skipped["cancel_reason"] == "Not enough points (60 needed)"
    chinese = regular.get(f"/bookings/{first_in_line['id']}", headers={"Accept-Language": "zh-CN"}).json
    assert chinese["cancel_reason"] == "积分不足（需要 60 积分）"
    assert regular.get("/notifications").json["items"][0]["title"].startswith("Waiting-list place lost: ")
    assert regular.get("/notifications", headers={"Accept-Language": "zh-CN"}).json["items"][0]["title"].startswith(
        "候补未成功：")
    assert later.get(f"/bookings/{second_in_line['id']}").json["status"] == "booked"
    assert balance(later_account) == 0 and balance(town["resident_account_id"]) == 40
    assert ledger.verify().ok


def test_a_request_is_paid_when_filed_and_refunded_when_rejected_or_cancelled(town):
    resident, coordinator = town["resident_apis"][0], town["coordinator"]
    account = town["resident_account_id"]
    first = file(resident, town).json
    second = file(resident, town, description="阳台灯不亮").json
    assert balance(account) == 60
    assert move(coordinator, first["id"], "rejected", reason="属物业维修范围").status_code == 200
    assert move(resident, second["id"], "cancelled").status_code == 200
    assert balance(account) == 100
    charges = db.session.scalars(select(Transfer).where(Transfer.kind == TransferKind.service_charge)).all()
    assert len(charges) == 2 and all(ledger.reversal_of(c) is not None for c in charges)
    replay = file(resident, town, key="k1").json
    assert file(resident, town, key="k1").json["id"] == replay["id"] and balance(account) == 80  # paid once

    low_income = town["resident_apis"][1]
    free = file(low_income, town).json
    assert free["price_points"] == 0 and db.session.get(ServiceRequest, free["id"]).charge_transfer_id is None


def test_too_few_points_refuses_the_request_and_writes_nothing(town):
    town["repair"].points_price = 500
    db.session.commit()
    before = count(ServiceRequest)
    refused = file(town["resident_apis"][0], town, key="poor-1")
    assert refused.status_code == 422 and "500" in refused.json["errors"]["service_type_id"][0]
    assert count(ServiceRequest) == before and balance(town["resident_account_id"]) == 100


def test_the_volunteer_earns_once_the_request_is_rated(town):
    resident, coordinator = town["resident_apis"][0], town["coordinator"]
    near, near_api = town["volunteers"][0], town["volunteer_apis"][0]
    request = file(resident, town).json
    move(coordinator, request["id"], "accepted")
    move(coordinator, request["id"], "dispatched", volunteer_id=near.id)
    move(near_api, request["id"], "in_progress")
    move(near_api, request["id"], "resolved", note="疏通了")
    earned = lambda: db.session.scalar(select(PointAccount.balance).where(PointAccount.volunteer_id == near.id))  # noqa: E731
    assert earned() is None  # resolved but not yet rated: nothing posted
    assert move(resident, request["id"], "rated", rating=4).status_code == 200
    earning = db.session.scalar(select(Earning).where(Earning.source_kind == "request",
                                                      Earning.source_id == request["id"]))
    # 60 scheduled minutes at the default 10 points an hour, on an ordinary working afternoon.
    assert earning.status == EarningStatus.posted and earning.minutes == 60 and earning.points == 10
    assert earned() == 10
    assert move(coordinator, request["id"], "rated", rating=5).status_code == 409  # no second rating, no second pay
    assert earned() == 10 and ledger.verify().ok
