"""One transfer: who may see it, and a coordinator's correction (a reversing transfer)."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...accounts import policy
from ...accounts.policy import Actor
from ...errors import Conflict, NotFound
from ...extensions import db
from ..ledger import already_reversed, reverse_transfer
from ..models import Earning, EarningStatus, Transfer, TransferKind
from .earning import reverse_source


def get_transfer(actor: Actor, transfer_id: int) -> Transfer:
    """Visible to the communities on either side of it, and to the holders of its two accounts."""
    transfer = db.session.get(Transfer, transfer_id)
    records = (transfer, transfer.from_account, transfer.to_account) if transfer is not None else ()
    if not any(policy.may(actor, "points.read", record) for record in records):
        raise NotFound(policy.NOT_FOUND)
    return transfer


def correct(actor: Actor, transfer_id: int, reason: str) -> Transfer:
    """A coordinator's correction: reverse a gift, a grant or an earning (orders are cancelled instead)."""
    transfer = policy.get(actor, "points.manage", Transfer, transfer_id)
    if transfer.kind == TransferKind.earning:
        earning = db.session.scalar(select(Earning).where(Earning.transfer_id == transfer.id))
        if earning is None or earning.status != EarningStatus.posted:
            raise already_reversed(transfer)
        return reverse_source(earning.source_kind, earning.source_id, reason)
    if transfer.kind not in (TransferKind.gift, TransferKind.grant):
        text = _l("Orders are corrected by rejecting or cancelling the order.")
        raise Conflict(text, {"transfer_id": [text]}, code="corrected_through_order")
    return reverse_transfer(transfer, reason)
