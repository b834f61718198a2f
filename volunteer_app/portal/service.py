"""Account administration (admins) and each person's own API tokens."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts import policy
from ..accounts.models import ApiToken, AuditLog, CoordinatorScope, Role, User
from ..accounts.policy import Actor
from ..accounts.service import (
    create_token, end_sessions, hash_password, revoke_token, revoke_tokens_of, username_taken,
)
from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from ..places.models import Community, Grid
from ..resources import ResourceService


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
    phone: str | None = None,
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
        phone=phone,
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


def my_tokens(actor: Actor) -> list[ApiToken]:
    return db.session.scalars(select(ApiToken).where(ApiToken.user_id == actor.id).order_by(ApiToken.id)).all()


def issue_token(actor: Actor, name: str, days: int | None) -> tuple[str, ApiToken]:
    """A token for the actor themself; the plain secret is returned once."""
    policy.require(actor, "tokens.manage_own")
    return create_token(actor.user, name, days)


def withdraw_token(actor: Actor, token_id: int) -> None:
    """Revoke a token: one's own; admins any."""
    revoke_token(policy.get(actor, "tokens.manage_own", ApiToken, token_id).id)


def audit_query(actor: Actor, args: dict):
    policy.require(actor, "audit.read")
    statement = select(AuditLog).order_by(AuditLog.id.desc())
    for key in ("action", "entity", "entity_id", "user_id"):
        if args.get(key) is not None:
            statement = statement.where(getattr(AuditLog, key) == args[key])
    return statement


class UserService(ResourceService):
    """Only admins manage accounts; everyone else answers 403 here."""

    model, what = User, "user"
    read_action = write_action = "accounts.manage"
    order_by = (User.username,)

    def query(self, actor: Actor):
        self.require_writer(actor)
        return select(User)

    def filtered(self, actor: Actor, args):
        statement = self.query(actor)
        if args.get("role"):
            statement = statement.where(User.role == args["role"])
        if args.get("q"):
            statement = statement.where(User.username.contains(args["q"]) | User.display_name.contains(args["q"]))
        return statement

    def visible(self, actor: Actor, obj) -> bool:
        self.require_writer(actor)
        return True

    def build(self, actor: Actor, data: dict) -> User:
        if db.session.scalar(select(User.id).where(User.username == data["username"])) is not None:
            raise username_taken(data["username"])
        return self.change(actor, User(display_name=data.get("display_name") or data["username"]), data)

    def change(self, actor: Actor, user: User, data: dict) -> User:
        if user.id == actor.id and (data.get("active") is False or data.get("role", user.role) != user.role):
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
        if user.phone and user.role not in policy.STAFF:
            on_record = _l("A resident's or volunteer's number is on their record, not on their account.")
            raise InvalidInput(on_record, {"phone": [on_record]}, code="phone_on_record")
        db.session.add(user)
        db.session.flush()
        return user


    def remove(self, actor: Actor, obj: User) -> None:
        if obj.id == actor.id:
            raise Conflict(_l("You cannot delete your own account."), {"id": [_l("Not on your own account.")]},
                           code="own_account")
        super().remove(actor, obj)


users = UserService()
