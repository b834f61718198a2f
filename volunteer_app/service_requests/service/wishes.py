"""Micro-wishes (微心愿): residents post, volunteers and party members of the community
claim and fulfil, the resident confirms: a transition table like a request's."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select

from ...accounts import policy
from ...accounts.models import User
from ...accounts.policy import Actor
from ...errors import NotFound
from ...extensions import db
from ...notifications.service import Note, notify, users_of_volunteers
from ...pii import mask_name
from ...resources import check_version
from ..models import Wish, WishState
from .common import lock_row, now, reached, resident_for, users_of_residents
from .transitions import CLAIMER, HELPER, OWNER, STAFF, Move, check_move, move, next_states


W = WishState
WISH_MOVES: dict[tuple[WishState, WishState], Move] = {
    (W.open, W.claimed): move(HELPER),  # a volunteer or party member of the community 认领
    (W.claimed, W.open): move(CLAIMER, STAFF),  # given back
    (W.claimed, W.fulfilled): move(CLAIMER, STAFF),
    (W.fulfilled, W.confirmed): move(OWNER, STAFF),
    (W.open, W.withdrawn): move(OWNER, STAFF),
    (W.claimed, W.withdrawn): move(OWNER, STAFF),
}


def wish_roles(actor: Actor, wish: Wish) -> set[str]:
    """Who the actor is to the wish: the staff managing it, a helper of its community (a volunteer
    there; its claimer once they claimed it), its owner (the resident, or whoever posted it)."""
    roles = set()
    if policy.may(actor, "wishes.manage", wish):
        roles.add(STAFF)
    if actor.volunteer_id is not None and actor.home_community == wish.community_id:
        roles.add(HELPER)
        if wish.claimed_by_volunteer_id == actor.volunteer_id:
            roles.add(CLAIMER)
    if wish.posted_by_id == actor.id or (actor.resident_id is not None and wish.resident_id == actor.resident_id):
        roles.add(OWNER)
    return roles


def post_wish(actor: Actor, data: dict) -> Wish:
    resident = resident_for(actor, "wishes.post", data.get("resident_id"))
    wish = Wish(community_id=resident.community_id, grid_id=resident.grid_id, resident_id=resident.id,
                posted_by_id=actor.id, title=data["title"], description=data.get("description", ""))
    db.session.add(wish)
    db.session.flush()
    return wish


def wishes_query(actor: Actor, args: dict) -> Select:
    """The community's board; ``mine``: what you posted or claimed."""
    statement = select(Wish).where(policy.where(actor, "wishes.read", Wish))
    for key in ("community_id", "state"):
        if args.get(key) is not None:
            statement = statement.where(getattr(Wish, key) == args[key])
    if args.get("mine"):
        mine = [Wish.posted_by_id == actor.id]
        if actor.resident_id is not None:
            mine.append(Wish.resident_id == actor.resident_id)
        if actor.volunteer_id is not None:
            mine.append(Wish.claimed_by_volunteer_id == actor.volunteer_id)
        statement = statement.where(or_(*mine))
    return statement.order_by(Wish.id.desc())


def get_wish(actor: Actor, wish_id: int, lock: bool = False) -> Wish:
    return reached(actor, "wishes.read", lock_row(Wish, wish_id) if lock else db.session.get(Wish, wish_id),
                   NotFound(_l("Wish No. %(id)s not found.", id=wish_id)))


def wish_resident_name(actor: Actor, wish: Wish) -> str:
    """The board shows a surname only (李*), except to the people handling the wish."""
    if wish_roles(actor, wish) & {STAFF, OWNER, CLAIMER}:
        return wish.resident.name
    return mask_name(wish.resident.name)


def move_wish(actor: Actor, wish_id: int, data: dict) -> Wish:
    """Claim, give back, fulfil, confirm or withdraw (a concurrent second claim gets 409)."""
    wish = get_wish(actor, wish_id, lock=True)
    if data.get("version") is not None:
        check_version(wish, data["version"])
    source, target, at = wish.state, data["to"], now()
    check_move(WISH_MOVES, source, target, wish_roles(actor, wish), data, "wish")
    owners = users_of_residents([wish.resident_id]) + [db.session.get(User, wish.posted_by_id)]
    if target == W.claimed:
        wish.claimed_by_volunteer_id, wish.claimed_at = actor.volunteer_id, at
        notify(owners, Note("wish", _l("Wish claimed: %(wish)s", wish=wish.title),
                            _l("The volunteer will get in touch with you."), f"/wishes/{wish.id}"))
    elif target == W.open:
        wish.claimed_by_volunteer_id = wish.claimed_at = None
    elif target == W.fulfilled:
        wish.fulfilled_at, wish.fulfil_note = at, data.get("note", "")
        notify(owners, Note("wish", _l("Wish fulfilled: %(wish)s", wish=wish.title), _l("Please confirm."),
                            f"/wishes/{wish.id}"))
    elif target == W.confirmed:
        wish.confirmed_at = at
        notify(users_of_volunteers([wish.claimed_by_volunteer_id]), Note(
            "wish", _l("The resident confirmed: %(wish)s", wish=wish.title), _l("Thank you for your help!"),
            f"/wishes/{wish.id}"))
    wish.state = target
    db.session.flush()
    return wish


def allowed_wish_moves(actor: Actor, wish: Wish) -> list[WishState]:
    roles = wish_roles(actor, wish)
    return [target for target in next_states(wish.state, WISH_MOVES) if WISH_MOVES[(wish.state, target)].by & roles]
