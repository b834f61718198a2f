"""Issue 11: every kind of message reaches a person through a real channel, against the local provider servers.

Each case drives the flow that produces its kind (a publish, a decline, the reminder job, a booking …), never
``notify`` itself; with an SMS template for every kind, then one delivery run, the kind must have reached a
phone: the fake Tencent server (staff too, on the mobile of their account; their e-mail gets it as well), or
the fake 企业微信 robot for the group post; and every outbox row of the kind must be ``sent``. A kind added to
the code without a case here fails ``test_every_kind_in_the_code_has_a_case``.
"""
import re
from datetime import date, datetime, timedelta
from email import message_from_string
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support.pages import csrf_token
from tests.support.points import fund
from tests.support.points import town as points_town  # noqa: F401 (fixture)
from tests.support.roster import WEEK, district, make_template, plan  # noqa: F401 (fixtures)
from tests.support.services import clock, event_payload, file, fund_resident, make_event  # noqa: F401 (fixtures)
from tests.support.services import make_service_type, move, town  # noqa: F401 (fixtures)
from volunteer_app.accounts.models import Role, User
from volunteer_app.clock import today_local
from volunteer_app.extensions import db
from volunteer_app.notifications import service
from volunteer_app.notifications.models import GroupWebhook, OutboxMessage
from volunteer_app.portal.phone_login import LOGIN_CODE
from volunteer_app.roster.service import duties
from volunteer_app.service_requests import service as requests_service

SOURCE = Path(__file__).resolve().parents[2] / "volunteer_app"
#: Kinds the code names through a constant rather than a literal.
NAMED_KINDS = {"LOGIN_CODE": LOGIN_CODE}


# --- the flows, one or more per kind ------------------------------------------------------------

def published_week(fixture) -> dict:
    """The district's week planned and published by its coordinator; the week as the API shows it."""
    district = fixture("district")
    api = district["coordinator"]
    done = plan(api, district["community_id"])
    week = api.get(f"/roster/weeks/{done['week_id']}").json
    published = api.post(f"/roster/weeks/{week['id']}/publish", json={"version": week["version"]})
    assert published.status_code == 201, published.json
    return api.get(f"/roster/weeks/{week['id']}").json


def a_duty(fixture) -> tuple:
    """A published duty: (the volunteer's API client, the assignment)."""
    published_week(fixture)
    for volunteer_api in fixture("district")["volunteer_apis"]:
        mine = volunteer_api.get(f"/my/assignments?week={WEEK}").json
        if mine:
            return volunteer_api, mine[0]
    raise AssertionError("nobody is on duty")


def publish_a_week(fixture) -> None:
    published_week(fixture)


def republish_without_someone(fixture) -> None:
    district = fixture("district")
    api, week = district["coordinator"], published_week(fixture)
    pair = week["draft"][0]
    drafted = {p["volunteer_id"] for p in week["draft"] if p["demand_id"] == pair["demand_id"]}
    stand_in = next(v for v in district["volunteer_ids"] if v not in drafted)
    moved = api.post(f"/roster/weeks/{week['id']}/move", json={
        "demand_id": pair["demand_id"], "from_volunteer_id": pair["volunteer_id"], "to_volunteer_id": stand_in})
    assert moved.status_code == 200, moved.json
    version = api.get(f"/roster/weeks/{week['id']}").json["version"]
    again = api.post(f"/roster/weeks/{week['id']}/publish", json={"version": version, "note": "换人"})
    assert again.status_code == 201 and again.json["removed"] == [[pair["demand_id"], pair["volunteer_id"]]]


def decline_a_duty(fixture) -> None:
    volunteer_api, duty = a_duty(fixture)
    answer = volunteer_api.post(f"/my/assignments/{duty['id']}/answer",
                                json={"version": duty["version"], "confirm": False, "reason": "家里有事"})
    assert answer.status_code == 200, answer.json


def run_the_reminder_job(fixture) -> None:
    published_week(fixture)
    fixture("monkeypatch").setattr(duties, "today_local", lambda: date(2026, 11, 29))  # the Sunday before WEEK
    result = fixture("app_ctx").test_cli_runner().invoke(args=["roster", "remind"])
    assert result.exit_code == 0 and not result.output.startswith("0 "), result.output


def call_out(fixture) -> None:
    district = fixture("district")
    station = district["station"]
    day = today_local() + timedelta(days=1)
    while day.weekday() >= 5:  # the district's volunteers are free on workday evenings
        day += timedelta(days=1)
    created = district["coordinator"].post("/roster/callouts", json={
        "community_id": district["community_id"], "title": "积水清理", "lat": station.lat, "lon": station.lon,
        "needed": 1, "start": f"{day}T18:30", "end": f"{day}T19:30"})
    assert created.status_code == 201 and created.json["invites"], created.json


def ask_for_a_swap(fixture) -> None:
    volunteer_api, duty = a_duty(fixture)
    colleague = next(v for v in fixture("district")["volunteer_ids"] if v != duty["volunteer_id"])
    swap = volunteer_api.post(f"/my/assignments/{duty['id']}/swap", json={"to_volunteer_id": colleague, "note": "出差"})
    assert swap.status_code in (200, 201), swap.json


def filed_request(fixture) -> int:
    town = fixture("town")
    filed = file(town["resident_apis"][0], town)
    assert filed.status_code == 201, filed.json
    return filed.json["id"]


def steps(fixture, request_id: int, *targets: str) -> None:
    town = fixture("town")
    for target in targets:
        fields = {"volunteer_id": town["volunteers"][0].id} if target == "dispatched" else {}
        fields |= {"note": "已修好"} if target == "resolved" else {}
        moved = move(town["coordinator"], request_id, target, **fields)
        assert moved.status_code == 200, moved.json


def accept_a_request(fixture) -> None:
    steps(fixture, filed_request(fixture), "accepted")


def dispatch_a_request(fixture) -> None:
    steps(fixture, filed_request(fixture), "accepted", "dispatched")


def leave_a_request_overdue(fixture) -> None:
    filed_request(fixture)
    fixture("clock").set(datetime(2026, 12, 3, 9, 0))  # days after filing, never accepted
    assert requests_service.flag_overdue() > 0  # the periodic job "requests.overdue"
    db.session.commit()


def rate_a_request_badly(fixture) -> None:
    request_id = filed_request(fixture)
    steps(fixture, request_id, "accepted", "dispatched", "in_progress", "resolved")
    rated = move(fixture("town")["resident_apis"][0], request_id, "rated", rating=2, comment="来得太晚")
    assert rated.status_code == 200, rated.json


def cancel_a_booked_event(fixture) -> None:
    town = fixture("town")
    event, slots = fixture("make_event")()
    assert town["resident_apis"][0].post("/bookings", json={"slot_id": slots[0]["id"]}).status_code == 201
    cancelled = town["coordinator"].post(f"/service-events/{event['id']}/cancel", json={"reason": "医生临时有事"})
    assert cancelled.status_code == 200, cancelled.json


def promote_from_the_waiting_list(fixture) -> None:
    first, second = fixture("town")["resident_apis"]
    _, slots = fixture("make_event")(capacity_per_slot=1)
    booked = first.post("/bookings", json={"slot_id": slots[0]["id"]}).json
    waiting = second.post("/bookings", json={"slot_id": slots[0]["id"], "waitlist": True})
    assert waiting.status_code == 201 and waiting.json["status"] == "waitlisted"
    assert first.post(f"/bookings/{booked['id']}/cancel", json={"reason": "有事"}).status_code == 200
    assert second.get(f"/bookings/{waiting.json['id']}").json["status"] == "booked"


def skip_a_waiting_resident_who_cannot_pay(fixture) -> None:
    town = fixture("town")
    town["clinic"].points_price = 60
    db.session.commit()
    _, slots = fixture("make_event")(capacity_per_slot=1)
    holder_resident = fixture("make_resident")(building=town["building"], name="赵六")
    fund_resident(holder_resident, 60)
    holder = fixture("api_as")(fixture("make_user")(role=Role.resident, resident_id=holder_resident.id))
    regular = town["resident_apis"][0]
    held = holder.post("/bookings", json={"slot_id": slots[0]["id"]}).json
    waiting = regular.post("/bookings", json={"slot_id": slots[0]["id"], "waitlist": True}).json
    assert regular.post("/bookings", json={"slot_id": slots[2]["id"]}).status_code == 201  # 100 − 60: too few left
    assert holder.post(f"/bookings/{held['id']}/cancel", json={}).status_code == 200
    assert regular.get(f"/bookings/{waiting['id']}").json["status"] == "cancelled"


def claim_a_wish(fixture) -> None:
    town = fixture("town")
    wish = town["resident_apis"][0].post("/wishes", json={"title": "想要一本大字版《红楼梦》"})
    assert wish.status_code == 201, wish.json
    claimed = town["volunteer_apis"][0].post(f"/wishes/{wish.json['id']}/transitions", json={"to": "claimed"})
    assert claimed.status_code == 200, claimed.json


def approve_a_points_order(fixture) -> None:
    town = fixture("points_town")
    fund(town.volunteer_ids[0], town.community_id, 100)
    placed = town.vol[0].post("/points/redemptions", json={"item_id": town.fee.id, "quantity": 1},
                              headers={"Idempotency-Key": "every-kind-0001"})
    assert placed.status_code == 201, placed.json
    approved = town.coordinator.post(f"/points/redemptions/{placed.json['id']}/approve", json={})
    assert approved.status_code == 200, approved.json


PHONE = "13912345678"


def a_volunteer_with_a_login(fixture) -> User:
    volunteer = fixture("make_volunteer")(phone=PHONE)
    return fixture("make_user")(role=Role.volunteer, volunteer_id=volunteer.id, username="wang")


def keep_failing_to_log_in(fixture) -> None:
    a_volunteer_with_a_login(fixture)
    guesser = fixture("app").test_client()
    answers = [guesser.post("/login", data={"username": "wang", "password": "guess-guess",
                                            "csrf_token": csrf_token(guesser, "/login")}).status_code
               for _ in range(7)]
    assert 429 in answers, answers


def ask_for_a_login_code(fixture) -> None:
    a_volunteer_with_a_login(fixture)
    client = fixture("app").test_client()
    asked = client.post("/login/phone", data={"phone": PHONE, "csrf_token": csrf_token(client, "/login")})
    assert asked.status_code == 303 and asked.headers["Location"].endswith("/login/code"), asked.headers


def publish_with_a_group_robot(fixture) -> None:
    wecom, district = fixture("wecom"), fixture("district")
    db.session.add(GroupWebhook(community_id=district["community_id"], url=wecom.prefix + "good-key",
                                label="志愿者群"))
    db.session.commit()
    published_week(fixture)


#: (kind, how it is produced, the channel that must have carried it)
CASES = [
    ("assigned", publish_a_week, "sms"),
    ("changed", republish_without_someone, "sms"),
    ("declined", decline_a_duty, "sms"),
    ("reminder", run_the_reminder_job, "sms"),
    ("callout", call_out, "sms"),
    ("swap", ask_for_a_swap, "sms"),
    ("request", accept_a_request, "sms"),
    ("task", dispatch_a_request, "sms"),
    ("overdue", leave_a_request_overdue, "sms"),
    ("follow_up", rate_a_request_badly, "sms"),
    ("booking", cancel_a_booked_event, "sms"),
    ("booking", promote_from_the_waiting_list, "sms"),
    ("booking", skip_a_waiting_resident_who_cannot_pay, "sms"),
    ("wish", claim_a_wish, "sms"),
    ("redemption", approve_a_points_order, "sms"),
    ("login_blocked", keep_failing_to_log_in, "sms"),
    (LOGIN_CODE, ask_for_a_login_code, "sms"),
    ("week_published", publish_with_a_group_robot, "wecom"),
]
TEMPLATES = {kind: f"30{number:05d}" for number, kind in enumerate(sorted({kind for kind, _, _ in CASES}), 1)}


@pytest.fixture()
def every_channel(tencent, wecom, smtp, channels, app_ctx, monkeypatch):
    """SMS with a template for every kind, the group robots and e-mail all on; no pacing per number."""
    channels("sms", "wecom", "email")
    for key, value in {"SMS_TEMPLATES": TEMPLATES, "SMS_PER_MINUTE": 100, "SMS_PER_DAY": 100}.items():
        monkeypatch.setitem(app_ctx.config, key, value)
    return {"sms": tencent, "wecom": wecom, "email": smtp}


def give_staff_phones_and_mail() -> None:
    """Coordinators, grid workers and admins have no volunteer or resident record: their accounts carry the
    mobile SMS reaches them on, and an e-mail address."""
    for user in db.session.scalars(select(User).where(User.role.in_((Role.coordinator, Role.admin)))):
        user.phone, user.email = f"1370000{user.id:04d}", f"{user.username}@jiedao.example.cn"
    db.session.commit()


def reached(fakes: dict, channel: str, row: OutboxMessage) -> bool:
    """Whether the provider's stand-in got this outbox row: its number and the kind's template, its address and
    subject, or its title in the group."""
    if channel == "sms":
        return any(m["TemplateId"] == TEMPLATES[row.kind] and m["PhoneNumberSet"] == [row.recipient]
                   for m in fakes["sms"].received)
    if channel == "email":
        return any(row.recipient in to and message_from_string(content, policy=default)["Subject"] == row.subject
                   for _, to, content in fakes["email"].messages)
    return any(row.subject in (m.get("markdown") or m.get("text"))["content"] for m in fakes["wecom"].received)


@pytest.mark.parametrize(("kind", "flow", "channel"), CASES,
                         ids=[f"{kind}-by-{flow.__name__}" for kind, flow, _ in CASES])
def test_the_kind_reaches_a_person_through_a_real_channel(kind, flow, channel, every_channel, request):
    fixture = request.getfixturevalue
    flow(fixture)
    give_staff_phones_and_mail()  # read when the messages are routed, below
    service.deliver_pending()
    db.session.commit()

    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)).all()
    assert rows, f"the flow produced no {kind!r} message"
    assert [(row.channel, row.status) for row in rows if row.status != "sent" or row.delivered_at is None] == []
    carried = [row for row in rows if row.channel == channel]
    assert carried, f"{kind!r} went by {sorted({row.channel for row in rows})}, not {channel}"
    assert [row.recipient for row in carried if not reached(every_channel, channel, row)] == []


def test_every_kind_is_checked_on_a_phone():
    """E-mail alone is not enough: each kind's case checks a channel that reaches a phone."""
    assert {channel for _, _, channel in CASES} == {"sms", "wecom"}


def test_a_staff_kind_reaches_the_staff_members_own_mobile(every_channel, request):
    """A decline goes to the coordinator's mobile (their account's, not a record's), masked on the outbox page."""
    decline_a_duty(request.getfixturevalue)
    coordinator = db.session.scalar(select(User).where(User.username == "coord"))
    coordinator.phone = "13712345678"
    db.session.commit()
    service.deliver_pending()
    db.session.commit()
    [row] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "declined",
                                                           OutboxMessage.channel == "sms")).all()
    assert (row.user_id, row.recipient, row.status) == (coordinator.id, "+8613712345678", "sent")
    assert ["+8613712345678"] in [message["PhoneNumberSet"] for message in every_channel["sms"].received]


def kinds_in_the_code() -> set[str]:
    """Every kind a ``Note(…)`` in the app is made with: a literal, or a constant listed in ``NAMED_KINDS``."""
    kinds = set()
    for path in SOURCE.rglob("*.py"):
        for first in re.findall(r"\bNote\(\s*([^,\s)]+)", path.read_text(encoding="utf-8")):
            literal = re.fullmatch(r"[\"'](\w+)[\"']", first)
            assert literal or first in NAMED_KINDS, f"{path}: Note({first}, …) names a kind this test cannot read"
            kinds.add(literal[1] if literal else NAMED_KINDS[first])
    return kinds


def test_every_kind_in_the_code_has_a_case():
    kinds = kinds_in_the_code()
    assert {"assigned", "week_published", LOGIN_CODE} <= kinds  # the scan itself works
    assert kinds - {kind for kind, _, _ in CASES} == set(), "add a case that drives the new kind's flow"
    assert {kind for kind, _, _ in CASES} - kinds == set(), "a case for a kind the code no longer has"
