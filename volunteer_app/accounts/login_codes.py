"""One-time logins without a password: a code sent by SMS to a mobile number, and a single-use link a
coordinator hands over as a QR code. Who has the number and how the code travels are the portal's business;
here are the rules of the secrets themselves.

A code has 6 digits: too few for a slow password hash to help, so it is kept as HMAC-SHA256 under the
app's ``SECRET_KEY`` with a salt of its own (a stolen table alone cannot be tried offline). It lives
``LOGIN_CODE_MINUTES``, takes ``MAX_TRIES`` tries, counted by the database itself so that tries sent at
once all count, and works once. A link's secret has 192 random bits, so a plain SHA-256 is enough.
"""
import hashlib
import hmac
import math
import secrets
import unicodedata
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..errors import DomainError, InvalidInput, NotFound
from ..extensions import db
from ..models_base import as_utc, utcnow
from .models import LoginCode, LoginLink, User
from .service import token_digest

CODE_DIGITS = 6
MAX_TRIES = 5
RESEND_AFTER = timedelta(seconds=60)
#: Rows of numbers nobody logged in with are dropped after this, when the next code is asked for.
KEEP_ROWS = timedelta(days=1)
#: Stored for a number no account has: no code of digits has this digest.
NO_CODE = "-"


class TooSoon(DomainError):
    """A new code within a minute of the last one (429); ``retry_after`` says how many seconds to wait."""

    status = 429
    code = "resend_too_soon"


def too_soon(seconds: int) -> TooSoon:
    wait = _l("A code was sent to this number less than a minute ago. Wait %(seconds)s seconds, then ask again.",
              seconds=seconds)
    return TooSoon(wait, {"phone": [wait]}, retry_after=seconds)


def _wrong(message, code: str) -> InvalidInput:
    return InvalidInput(message, {"code": [message]}, code=code)


def code_expired() -> InvalidInput:
    return _wrong(_l("This code has expired or was already used. Ask for a new code."), "code_expired")


def _digest(salt: str, phone: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{salt}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def code_minutes() -> int:
    return current_app.config["LOGIN_CODE_MINUTES"]


def issue_code(phone: str, *, for_someone: bool, keep_plain: bool = False) -> str | None:
    """A new code for ``phone`` (replacing its last one), or None when ``for_someone`` is false (no account
    has the number: a row that no code matches keeps the resend wait the same). ``keep_plain`` keeps the
    code readable for the development mode's page. 429 (:class:`TooSoon`) within a minute of the last one."""
    now = utcnow()
    last = db.session.scalar(select(LoginCode.created_at).where(LoginCode.phone == phone))
    if last is not None and as_utc(last) + RESEND_AFTER > now:
        raise too_soon(math.ceil((as_utc(last) + RESEND_AFTER - now).total_seconds()))
    db.session.execute(delete(LoginCode).where(or_(LoginCode.phone == phone, LoginCode.created_at < now - KEEP_ROWS)))
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}" if for_someone else None
    salt = secrets.token_hex(16)
    row = LoginCode(phone=phone, salt=salt, code_hash=_digest(salt, phone, code) if code else NO_CODE,
                    created_at=now, expires_at=now + timedelta(minutes=code_minutes()),
                    shown_code=code if keep_plain else None)
    try:
        with db.session.begin_nested():  # two requests at once for one number: the second waits its minute
            db.session.add(row)
    except IntegrityError:
        raise too_soon(math.ceil(RESEND_AFTER.total_seconds())) from None
    return code


def check_code(phone: str, code: str) -> None:
    """Accept the code sent to ``phone`` once, or raise 422 naming the field ``code``.

    A wrong try is written whatever follows: the caller commits on failure too (the try must count).
    """
    code = unicodedata.normalize("NFKC", code).replace(" ", "")  # full-width digits from a Chinese keyboard
    if len(code) != CODE_DIGITS or not (code.isascii() and code.isdigit()):
        raise _wrong(_l("Enter the %(digits)s digits of the code.", digits=CODE_DIGITS), "code_format")
    now = utcnow()
    row = db.session.scalar(select(LoginCode).where(LoginCode.phone == phone))
    if row is None or row.used_at is not None or as_utc(row.expires_at) <= now:
        raise code_expired()
    tries = db.session.scalar(
        update(LoginCode).where(LoginCode.id == row.id, LoginCode.attempts < MAX_TRIES, LoginCode.used_at.is_(None))
        .values(attempts=LoginCode.attempts + 1).returning(LoginCode.attempts)
        .execution_options(synchronize_session=False))
    if tries is None:
        raise _wrong(_l("The code was entered wrongly too often. Ask for a new code."), "code_locked")
    if not hmac.compare_digest(row.code_hash, _digest(row.salt, phone, code)):
        if tries >= MAX_TRIES:
            raise _wrong(_l("The code is not right, and that was the last try. Ask for a new code."), "code_locked")
        raise _wrong(_l("The code is not right. Tries left: %(left)s.", left=MAX_TRIES - tries), "wrong_code")
    used = db.session.execute(update(LoginCode).where(LoginCode.id == row.id, LoginCode.used_at.is_(None))
                              .values(used_at=now).execution_options(synchronize_session=False))
    if used.rowcount != 1:  # the same code, sent twice at once: only one logs in
        raise code_expired()


def pending_codes():
    """Codes sent and not yet used nor expired, newest first."""
    return select(LoginCode).where(LoginCode.code_hash != NO_CODE, LoginCode.used_at.is_(None),
                                   LoginCode.expires_at > utcnow()).order_by(LoginCode.created_at.desc())


# --- single-use links (QR codes) ---------------------------------------------------------------

def link_minutes() -> int:
    return current_app.config["LOGIN_QR_MINUTES"]


def link_not_valid() -> NotFound:
    return NotFound(_l("This login QR code is no longer valid: it works once, within %(minutes)s minutes of being "
                       "made. Ask your coordinator for a new one.", minutes=link_minutes()),
                    code="login_link_not_valid")


def create_link(user: User, created_by: int | None) -> tuple[str, LoginLink]:
    """The plain secret (shown once, in the QR code) and the stored link (its hash)."""
    plain = secrets.token_urlsafe(24)
    link = LoginLink(user_id=user.id, token_hash=token_digest(plain), created_by=created_by,
                     expires_at=utcnow() + timedelta(minutes=link_minutes()))
    db.session.add(link)
    db.session.flush()
    return plain, link


def valid_link(plain: str) -> LoginLink:
    """The unused, unexpired link of an active account with this secret, else 404."""
    link = db.session.scalar(select(LoginLink).where(LoginLink.token_hash == token_digest(plain)))
    if link is None or link.used_at is not None or as_utc(link.expires_at) <= utcnow() or not link.user.active:
        raise link_not_valid()
    return link


def use_link(plain: str) -> User:
    """Log in by the link once: the first use wins (its version guards a use at the same moment)."""
    link = valid_link(plain)
    link.used_at = utcnow()
    try:
        with db.session.begin_nested():
            db.session.flush()
    except StaleDataError:
        raise link_not_valid() from None
    return link.user
