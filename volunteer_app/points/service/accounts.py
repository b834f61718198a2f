"""Points accounts: each holder's, opened on first use, and who may see which; statements.

Volunteers, residents and partners each hold one account; a community holds its pool, the
holding of orders in progress, and the issuance that earnings are paid from.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, or_, select
from sqlalchemy.orm import lazyload, selectinload

from ...accounts import policy
from ...accounts.models import User
from ...accounts.policy import Actor
from ...errors import NotFound
from ...extensions import db
from ...people.models import Resident, Volunteer
from ...places.models import Community
from .. import ledger
from ..models import AccountKind, Entry, Partner, PointAccount


def volunteer_account(volunteer: Volunteer) -> PointAccount:
    return ledger.get_or_create_account(f"volunteer:{volunteer.id}", AccountKind.volunteer, volunteer.community_id,
                                        volunteer.name, volunteer_id=volunteer.id)


def resident_account(resident: Resident) -> PointAccount:
    return ledger.get_or_create_account(f"resident:{resident.id}", AccountKind.resident, resident.community_id,
                                        resident.name, resident_id=resident.id)


def partner_account(partner: Partner) -> PointAccount:
    return ledger.get_or_create_account(f"partner:{partner.id}", AccountKind.partner, partner.community_id,
                                        partner.name, partner_id=partner.id)


def community_account(kind: AccountKind, community_id: int) -> PointAccount:
    """The community's pool, holding or issuance account (named by the community; ``holder_name`` says which)."""
    community = db.session.get(Community, community_id)
    return ledger.get_or_create_account(f"{kind.value}:{community_id}", kind, community_id, community.name)


def holder_account(user: User) -> PointAccount | None:
    """The account of the volunteer or resident ``user`` is linked to (a volunteer's first), opened on first use."""
    holder = lazyload("*")  # its name and community, not its skills, hours or groups
    if user.volunteer_id is not None:
        return volunteer_account(db.session.get(Volunteer, user.volunteer_id, options=[holder]))
    if user.resident_id is not None:
        return resident_account(db.session.get(Resident, user.resident_id, options=[holder]))
    return None


def own_account(actor: Actor) -> PointAccount:
    """The actor's own account, created on first use.

    No policy question: the actor's own link names the account, so there is nothing beyond reach.
    """
    account = holder_account(actor.user) if actor.user is not None else None
    if account is None:
        raise NotFound(_l("Your user is not linked to a volunteer or resident, so it has no points."),
                       code="no_account")
    return account


def _same_holder(volunteer_column, resident_column, volunteer_id: int | None, resident_id: int | None):
    """Rows linked to the given volunteer or resident (nothing when both are None)."""
    pairs = ((volunteer_column, volunteer_id), (resident_column, resident_id))
    conditions = [column == value for column, value in pairs if value is not None]
    return or_(*conditions) if conditions else false()


def holders_of(account: PointAccount) -> list[User]:
    """The users who hold ``account``, to notify them."""
    return list(db.session.scalars(select(User).where(
        _same_holder(User.volunteer_id, User.resident_id, account.volunteer_id, account.resident_id))))


def owns(actor: Actor, account: PointAccount) -> bool:
    """Whether the account is the actor's own (pages say "my", notifications skip the one who acted)."""
    return bool((account.volunteer_id is not None and account.volunteer_id == actor.volunteer_id)
                or (account.resident_id is not None and account.resident_id == actor.resident_id))


def accounts_query(actor: Actor, args: dict):
    """Accounts the actor may read: their own; staff, their communities'."""
    statement = select(PointAccount).where(policy.where(actor, "points.read", PointAccount))
    for key in ("community_id", "kind"):
        if args.get(key) is not None:
            statement = statement.where(getattr(PointAccount, key) == args[key])
    return statement.order_by(PointAccount.id)


def get_account(actor: Actor, account_id: int) -> PointAccount:
    return policy.get(actor, "points.read", PointAccount, account_id)


def statement_query(actor: Actor, account: PointAccount):
    """The account's entries, newest first, each with its running balance."""
    policy.require(actor, "points.read", account)
    return (select(Entry).where(Entry.account_id == account.id).options(selectinload(Entry.transfer))
            .order_by(Entry.id.desc()))


def account_of(actor: Actor, kind: AccountKind, community_ids) -> dict[int, PointAccount]:
    """The communities' accounts of one kind that exist already and the actor may read (none is opened here)."""
    keys = [f"{kind.value}:{community_id}" for community_id in community_ids]
    if not keys:
        return {}
    return {account.community_id: account for account in db.session.scalars(select(PointAccount).where(
        PointAccount.owner_key.in_(keys), policy.where(actor, "points.read", PointAccount)))}


def find_accounts(actor: Actor, args: dict, text: str | None):
    """``accounts_query`` narrowed to holders whose name contains ``text``."""
    statement = accounts_query(actor, args)
    return statement.where(PointAccount.name.contains(text, autoescape=True)) if text else statement
