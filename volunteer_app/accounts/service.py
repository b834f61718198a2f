"""Passwords, API tokens and users: the rules of who may log in and how."""
import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select, update

from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from ..models_base import utcnow
from ..places.models import Community, Grid
from ..resources import ResourceService
from .models import ApiToken, CoordinatorScope, Role, User

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


def create_user(
    username: str,
    password: str | None,
    role: Role,
    display_name: str | None = None,
    *,
    communities: list[str] = (),
    grids: list[str] = (),
    can_view_pii: bool = False,
    volunteer_id: int | None = None,
    resident_id: int | None = None,
) -> User:
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise username_taken(username)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password) if password else None,
        role=role,
        can_view_pii=can_view_pii,
        volunteer_id=volunteer_id,
        resident_id=resident_id,
    )
    for code in communities:
        community = db.session.scalar(select(Community).where(Community.code == code))
        if community is None:
            raise NotFound(_l("No community has the code %(code)s.", code=code), {"communities": [code]})
        user.scopes.append(CoordinatorScope(community_id=community.id))
    for code in grids:
        grid = db.session.scalar(select(Grid).where(Grid.code == code))
        if grid is None:
            raise NotFound(_l("No grid has the code %(code)s.", code=code), {"grids": [code]})
        user.scopes.append(CoordinatorScope(grid_id=grid.id))
    db.session.add(user)
    db.session.flush()
    return user


def _digest(token: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough (unlike passwords).
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str = "default", days: int | None = 365) -> tuple[str, ApiToken]:
    """Return the plain token (shown once) and its stored record (hash only)."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=_digest(plain),
        prefix=plain[:10],
        expires_at=utcnow() + timedelta(days=days) if days else None,
    )
    db.session.add(record)
    db.session.flush()
    return plain, record


def user_for_token(plain: str) -> User | None:
    record = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(plain)))
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


class UserService(ResourceService):
    """Only admins manage accounts; everyone else answers 403 here."""

    model, what, writers = User, "user", ()
    order_by = (User.username,)

    def base_query(self):
        self.require_writer()
        return select(User)

    def filtered(self, args):
        statement = self.base_query()
        if args.get("role"):
            statement = statement.where(User.role == args["role"])
        if args.get("q"):
            statement = statement.where(User.username.contains(args["q"]) | User.display_name.contains(args["q"]))
        return statement

    def visible(self, obj) -> bool:
        self.require_writer()
        return True

    def create(self, data: dict) -> User:
        if db.session.scalar(select(User.id).where(User.username == data["username"])) is not None:
            raise username_taken(data["username"])
        return self.update(User(display_name=data.get("display_name") or data["username"]), data)

    def update(self, user: User, data: dict) -> User:
        if user.id == current_user.id and (data.get("active") is False or data.get("role", user.role) != user.role):
            raise Conflict(_l("You cannot deactivate or demote your own account; ask another admin."),
                           {"role" if "role" in data else "active": [_l("Not on your own account.")]},
                           code="own_account")
        if "username" in data and data["username"] != user.username:
            if db.session.scalar(select(User.id).where(User.username == data["username"])) is not None:
                raise username_taken(data["username"])
        if "password" in data:  # a reset: whoever held the old password loses its sessions and tokens
            user.password_hash = hash_password(data.pop("password"))
            if user.id is not None:
                end_sessions(user)
                revoke_tokens_of(user)
        community_ids = data.pop("community_ids", None)
        grid_ids = data.pop("grid_ids", None)
        if community_ids is not None or grid_ids is not None:
            scopes = []
            for community_id in community_ids or []:
                if db.session.get(Community, community_id) is None:
                    raise InvalidInput(_l("No such community."), {"community_ids": [_l("No such community.")]},
                                       code="unknown_community")
                scopes.append(CoordinatorScope(community_id=community_id))
            for grid_id in grid_ids or []:
                if db.session.get(Grid, grid_id) is None:
                    raise InvalidInput(_l("No such grid."), {"grid_ids": [_l("No such grid.")]}, code="unknown_grid")
                scopes.append(CoordinatorScope(grid_id=grid_id))
            user.scopes = scopes
        for key, value in data.items():
            setattr(user, key, value)
        db.session.add(user)
        db.session.flush()
        return user


    def delete(self, obj: User) -> None:
        if obj.id == current_user.id:
            raise Conflict(_l("You cannot delete your own account."), {"id": [_l("Not on your own account.")]},
                           code="own_account")
        super().delete(obj)


users = UserService()
