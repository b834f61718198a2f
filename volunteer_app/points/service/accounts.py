"""Points accounts: each holder's, opened on first use, and who may see which; statements.

Volunteers, residents and partners each hold one account; a community holds its pool, the
holding of orders in progress, and the issuance that earnings are paid from.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, or_, select
from sqlalchemy.orm import selectinload

from ...accounts.models import User
from ...accounts.scoping import current_scope
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


COMMUNITY_ACCOUNT_LABELS = {
    AccountKind.community_pool: "积分池 pool",
    AccountKind.holding: "待兑付 orders in progress",
    AccountKind.issuance: "积分发行 issuance",
}


def community_account(kind: AccountKind, community_id: int) -> PointAccount:
    """The community's pool, holding or issuance account."""
    community = db.session.get(Community, community_id)
    return ledger.get_or_create_account(f"{kind.value}:{community_id}", kind, community_id,
                                        f"{community.name} {COMMUNITY_ACCOUNT_LABELS[kind]}")


def own_account(user: User) -> PointAccount:
    """The caller's own account (a volunteer's, or a resident's), created on first use."""
    if user.volunteer_id is not None:
        return volunteer_account(db.session.get(Volunteer, user.volunteer_id))
    if user.resident_id is not None:
        return resident_account(db.session.get(Resident, user.resident_id))
    raise NotFound(_l("Your user is not linked to a volunteer or resident, so it has no points."), code="no_account")


def _same_holder(volunteer_column, resident_column, volunteer_id: int | None, resident_id: int | None):
    """Rows linked to the given volunteer or resident (nothing when both are None)."""
    pairs = ((volunteer_column, volunteer_id), (resident_column, resident_id))
    conditions = [column == value for column, value in pairs if value is not None]
    return or_(*conditions) if conditions else false()


def own_account_clause(user: User):
    return _same_holder(PointAccount.volunteer_id, PointAccount.resident_id, user.volunteer_id, user.resident_id)


def holders_of(account: PointAccount) -> list[User]:
    """The users who hold ``account``, to notify them."""
    return list(db.session.scalars(select(User).where(
        _same_holder(User.volunteer_id, User.resident_id, account.volunteer_id, account.resident_id))))


def owns(user: User, account: PointAccount) -> bool:
    return bool((account.volunteer_id is not None and account.volunteer_id == user.volunteer_id)
                or (account.resident_id is not None and account.resident_id == user.resident_id))


def accounts_query(user: User, args: dict):
    statement = select(PointAccount).where(or_(current_scope().clause(PointAccount), own_account_clause(user)))
    for key in ("community_id", "kind"):
        if args.get(key) is not None:
            statement = statement.where(getattr(PointAccount, key) == args[key])
    return statement.order_by(PointAccount.id)


def get_account(user: User, account_id: int) -> PointAccount:
    account = db.session.get(PointAccount, account_id)
    if account is None or not (current_scope().allows(account.community_id) or owns(user, account)):
        raise NotFound(_l("Not found among the records you manage."))
    return account


def statement_query(account: PointAccount):
    """The account's entries, newest first, each with its running balance."""
    return (select(Entry).where(Entry.account_id == account.id).options(selectinload(Entry.transfer))
            .order_by(Entry.id.desc()))


def account_of(kind: AccountKind, community_ids) -> dict[int, PointAccount]:
    """The communities' accounts of one kind that exist already (read-only: none is opened here)."""
    keys = [f"{kind.value}:{community_id}" for community_id in community_ids]
    if not keys:
        return {}
    return {account.community_id: account
            for account in db.session.scalars(select(PointAccount).where(PointAccount.owner_key.in_(keys)))}


def find_accounts(user: User, args: dict, text: str | None):
    """``accounts_query`` narrowed to holders whose name contains ``text``."""
    statement = accounts_query(user, args)
    return statement.where(PointAccount.name.contains(text, autoescape=True)) if text else statement
