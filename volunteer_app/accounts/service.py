"""Passwords, API tokens and users: the rules of who may log in and how."""
import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from ..models_base import utcnow
from .models import ApiToken, User

_hasher = PasswordHasher()
# Verifying against a dummy hash when the user is unknown keeps timing the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
TOKEN_PREFIX = "jmk_"
LAST_USED_RESOLUTION = timedelta(minutes=5)
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(_l("The password is too short."),
                           {"password": [_l("Use at least %(count)s characters.", count=MIN_PASSWORD_LENGTH)]},
                           code="password_too_short")
    return _hasher.hash(password)


def username_taken(username: str) -> Conflict:
    return Conflict(_l("The username %(username)s is taken.", username=username),
                    {"username": [_l("Already exists.")]}, code="username_taken")


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.username == username))
    try:
        _hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    return user


def token_digest(token: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough (unlike passwords).
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str = "default", days: int | None = 365) -> tuple[str, ApiToken]:
    """Return the plain token (shown once) and its stored record (hash only)."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=token_digest(plain),
        prefix=plain[:10],
        expires_at=utcnow() + timedelta(days=days) if days else None,
    )
    db.session.add(record)
    db.session.flush()
    return plain, record


def user_for_token(plain: str) -> User | None:
    # Every API call asks this: the token, its user and the user's scopes in one query.
    record = db.session.scalars(select(ApiToken).where(ApiToken.token_hash == token_digest(plain))
                                .options(joinedload(ApiToken.user).joinedload(User.scopes))).unique().one_or_none()
    if record is None or record.revoked_at is not None:
        return None
    now = datetime.now(timezone.utc)
    expires = record.expires_at
    if expires is not None and expires.tzinfo is None:  # SQLite returns naive values
        expires = expires.replace(tzinfo=timezone.utc)
    if expires is not None and expires <= now:
        return None
    if not record.user.active:
        return None
    last = record.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=timezone.utc)
    if last is None or now - last > LAST_USED_RESOLUTION:
        record.last_used_at = now  # a write per call would cost every API request a commit
    return record.user


def end_sessions(user: User) -> None:
    """End every session and remember cookie of the user (a copy of an old cookie included): on logout and
    on a new password. A plain UPDATE: it neither changes the record's version nor fills the audit log."""
    db.session.execute(update(User).where(User.id == user.id)
                       .values(session_generation=User.session_generation + 1)
                       .execution_options(synchronize_session="fetch"))


def revoke_tokens_of(user: User) -> None:
    db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=utcnow()))


def revoke_token(token_id: int) -> None:
    record = db.session.get(ApiToken, token_id)
    if record is None:
        raise NotFound(_l("No such token."))
    record.revoked_at = utcnow()
