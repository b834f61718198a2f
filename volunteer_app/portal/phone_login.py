"""Logging in by phone number (residents and volunteers) and by a coordinator's one-time QR code.

A mobile number finds the person through their volunteer or resident record; a 6-digit code goes to it by
SMS at once (``SMS_TEMPLATES["login_code"]``, parameters: the code and its minutes). The login page answers
the same whether or not an account has the number, so it never tells who is registered; a number nobody has
gets no SMS. Staff (admins, coordinators) log in with their password only. A number several accounts share
(a resident in one community, a volunteer in another) proves itself first, then the person picks one.

Without SMS on an embedded installation (no Redis) this is a development mode: the code goes to the server
log and to the admins' page of pending codes instead. A city installation without SMS has no phone login.
The secrets' own rules are ``accounts.login_codes``.
"""
import re
import unicodedata
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from ..accounts import login_codes, policy
from ..accounts.models import LoginCode, LoginLink, Role, User
from ..accounts.policy import Actor
from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from ..notifications.service import Note, send_sms_now, sms_channel_for
from ..people.models import Resident, Volunteer
from ..pii import mask_phone
from ..places.models import Community
from ..validation import MAINLAND_MOBILE

#: The message kind of the SMS, and so its key in SMS_TEMPLATES.
LOGIN_CODE = "login_code"
PEOPLE = (Role.volunteer, Role.resident)
SMS, DEVELOPMENT, OFF = "sms", "development", "off"
_SEPARATORS = re.compile(r"[\s()-]")
#: Most accounts a coordinator's list of people shows at once (a search narrows it).
LIST_LIMIT = 50


def normalise_phone(text: str | None) -> str | None:
    """The 11 digits of a mainland mobile number as people type it (spaces, dashes, +86, full-width digits from
    a Chinese keyboard), or None."""
    digits = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or ""))
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix):]
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if digits.isascii() and MAINLAND_MOBILE.fullmatch(digits) else None


def code_delivery() -> str:
    """``sms`` when SMS is configured with a ``login_code`` template; ``development`` on an embedded
    installation (no Redis) without it; ``off`` otherwise."""
    if sms_channel_for(LOGIN_CODE) is not None:
        return SMS
    return OFF if current_app.config.get("REDIS_URL") else DEVELOPMENT


def accounts_with_phone(phone: str) -> list[User]:
    """The active resident and volunteer accounts whose volunteer or resident record has this number."""
    return list(db.session.scalars(select(User).where(
        or_(User.volunteer_id.in_(select(Volunteer.id).where(Volunteer.phone == phone)),
            User.resident_id.in_(select(Resident.id).where(Resident.phone == phone))),
        User.active.is_(True), User.role.in_(PEOPLE)).order_by(User.id)))


def parse_phone(text: str | None) -> str:
    phone = normalise_phone(text)
    if phone is None:
        wrong = _l("Enter the 11 digits of your mobile number.")
        raise InvalidInput(wrong, {"phone": [wrong]}, code="phone_format")
    return phone


def send_code(phone: str) -> None:
    """Send a login code to ``phone`` when a resident's or volunteer's account has it; answer alike either way
    (only the wait between two codes, the same for every number, is refused: 429)."""
    mode = code_delivery()
    if mode == OFF:
        off = _l("Logging in by SMS code is not set up here. Log in with your username and password, or ask your "
                 "coordinator for a login QR code.")
        raise Conflict(off, {"phone": [off]}, code="phone_login_off")
    accounts = accounts_with_phone(phone)
    code = login_codes.issue_code(phone, for_someone=bool(accounts), keep_plain=mode == DEVELOPMENT)
    minutes = login_codes.code_minutes()
    if code is None:
        current_app.logger.info("login code asked for %s: no resident or volunteer account has it; none sent",
                                mask_phone(phone))
    elif mode == DEVELOPMENT:
        current_app.logger.warning("DEVELOPMENT MODE (no SMS configured): login code for %s is %s, valid %s minutes",
                                   mask_phone(phone), code, minutes)
    else:
        send_sms_now(accounts[0], phone, Note(LOGIN_CODE, _l("Login code"), params=[code, str(minutes)]))


def accounts_for_code(phone: str, code: str) -> list[User]:
    """The accounts the right code for ``phone`` logs in to (one, or several for the person to pick from);
    a wrong code raises 422 naming ``code`` and its try counts: the caller commits either way."""
    login_codes.check_code(phone, code)
    accounts = accounts_with_phone(phone)
    if not accounts:  # deactivated since the code went out
        raise login_codes.code_expired()
    return accounts


@dataclass(frozen=True)
class PersonAccount:
    """An account as a person recognises it: their name in the registry, their role and community."""

    user: User
    name: str
    phone: str
    community: str


def _people(statement, model) -> list[PersonAccount]:
    """``statement`` selects (user, record of ``model``): add each record's community."""
    rows = db.session.execute(statement.add_columns(Community.name).join(Community, Community.id == model.community_id))
    return [PersonAccount(user, record.name, record.phone, community) for user, record, community in rows]


def describe(users: list[User]) -> list[PersonAccount]:
    """Each account with its volunteer or resident record, for a choice between accounts."""
    ids = [user.id for user in users]
    found: dict[int, PersonAccount] = {}
    for model, link in ((Resident, User.resident_id), (Volunteer, User.volunteer_id)):
        for person in _people(select(User, model).join(model, link == model.id).where(User.id.in_(ids)), model):
            found.setdefault(person.user.id, person)
    return [found[user.id] for user in users if user.id in found]


# --- the coordinator's side: login QR codes -------------------------------------------------------

def people_for_qr(actor: Actor, text: str | None = None) -> list[PersonAccount]:
    """Residents and volunteers with an account whom the actor manages, by name; ``text`` narrows to a name
    or phone containing it."""
    policy.require(actor, "login_qr.create")
    found: dict[int, PersonAccount] = {}
    for model, link in ((Resident, User.resident_id), (Volunteer, User.volunteer_id)):
        statement = select(User, model).join(model, link == model.id).where(
            policy.where(actor, "login_qr.create", model), User.active.is_(True), User.role.in_(PEOPLE))
        if text:
            statement = statement.where(or_(model.name.contains(text), model.phone.contains(text)))
        for person in _people(statement.order_by(model.name).limit(LIST_LIMIT), model):
            found.setdefault(person.user.id, person)
    return sorted(found.values(), key=lambda person: person.name)[:LIST_LIMIT]


def create_login_qr(actor: Actor, user_id: int) -> tuple[str, LoginLink]:
    """A single-use login for a resident or volunteer the actor manages: the plain secret for the QR code
    (shown once) and the stored link. Anyone else's account answers 404, like an unknown one."""
    policy.require(actor, "login_qr.create")
    user = db.session.get(User, user_id)
    records = [] if user is None or not user.active or user.role not in PEOPLE else [
        record for model, record_id in ((Resident, user.resident_id), (Volunteer, user.volunteer_id))
        if record_id is not None and (record := db.session.get(model, record_id)) is not None]
    if not any(policy.may(actor, "login_qr.create", record) for record in records):
        raise NotFound(policy.NOT_FOUND)
    return login_codes.create_link(user, actor.id)


def qr_login_url(plain: str) -> str:
    """Where the QR code leads: under ``PUBLIC_BASE_URL`` when set (behind a proxy), else this request's host."""
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    if base:
        return base + url_for("views.qr_login", token=plain)
    return url_for("views.qr_login", token=plain, _external=True)


def pending_codes(actor: Actor) -> list[tuple[LoginCode, list[PersonAccount]]]:
    """Login codes sent and not yet used or expired, with whom each is for (admins)."""
    policy.require(actor, "login_codes.read")
    return [(code, describe(accounts_with_phone(code.phone)))
            for code in db.session.scalars(login_codes.pending_codes())]
