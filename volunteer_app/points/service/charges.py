"""Priced services (bookings and requests): who pays, whether they can, the charge into the
community pool and its refund. Called by the service requests domain.
"""
from sqlalchemy import select

from ...accounts.models import User
from ...extensions import db
from ...people.models import Resident
from ..ledger import lock_accounts, post_transfer, reversal_of, reverse_transfer
from ..models import AccountKind, PointAccount, Transfer, TransferKind
from .accounts import community_account, holder_account, resident_account


def service_payer(resident: Resident) -> PointAccount:
    """Who pays for a resident's priced service: the points of the user linked to the resident (a volunteer's
    own account if they volunteer too), else the resident's account (gifts and grants land there)."""
    user = db.session.scalar(select(User).where(User.resident_id == resident.id).limit(1))
    return holder_account(user) if user is not None else resident_account(resident)


def can_pay(payer: PointAccount, amount: int) -> bool:
    """Whether ``payer`` holds ``amount`` now; under its lock, so a charge that follows cannot fail."""
    lock_accounts(payer)
    return payer.balance >= amount


def charge_service(payer: PointAccount, amount: int, community_id: int, memo: str, details: dict,
                   field: str) -> Transfer | None:
    """The payer pays a priced service into the community pool; None when it is free.

    Refused with a 422 naming ``field`` when the balance is short (nothing is written).
    """
    if amount <= 0:
        return None
    pool = community_account(AccountKind.community_pool, community_id)
    return post_transfer(payer, pool, amount, TransferKind.service_charge, community_id, memo=memo,
                         details=details, field=field)


def refund_service(charge: Transfer | None, reason: str) -> Transfer | None:
    """Give a service's points back (cancelled, rejected, called off): at most once."""
    if charge is None or reversal_of(charge) is not None:
        return None
    return reverse_transfer(charge, reason)
