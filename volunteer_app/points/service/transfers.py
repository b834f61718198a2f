"""One transfer: who may see it, and a coordinator's correction (a reversing transfer)."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...accounts.models import User
from ...accounts.scoping import current_scope
from ...errors import Conflict, NotFound
from ...extensions import db
from ..ledger import already_reversed, reverse_transfer
from ..models import Earning, EarningStatus, Transfer, TransferKind
from .accounts import owns
from .earning import reverse_source


def get_transfer(user: User, transfer_id: int) -> Transfer:
    """Visible to the communities on either side of it, and to the holders of its two accounts."""
    transfer = db.session.get(Transfer, transfer_id)
    sides = (transfer.from_account, transfer.to_account) if transfer is not None else ()
    scope = current_scope()
    if transfer is None or not (scope.allows(transfer.community_id)
                                or any(scope.allows(a.community_id) or owns(user, a) for a in sides)):
        raise NotFound(_l("Not found among the records you manage."))
    return transfer


def correct(transfer: Transfer, reason: str) -> Transfer:
    """A coordinator's correction: reverse a gift, a grant or an earning (orders are cancelled instead)."""
    if transfer.kind == TransferKind.earning:
        earning = db.session.scalar(select(Earning).where(Earning.transfer_id == transfer.id))
        if earning is None or earning.status != EarningStatus.posted:
            raise already_reversed(transfer)
        return reverse_source(earning.source_kind, earning.source_id, reason)
    if transfer.kind not in (TransferKind.gift, TransferKind.grant):
        text = _l("Orders are corrected by rejecting or cancelling the order.")
        raise Conflict(text, {"transfer_id": [text]}, code="corrected_through_order")
    return reverse_transfer(transfer, reason)
