"""The double-entry core: accounts, locks, transfers, reversals, and the invariant check.

Concurrency: a balance only changes through ``post_transfer``, which updates
the cached ``balance`` with a guarded ``UPDATE … WHERE balance >= amount``
(PostgreSQL re-checks the condition after waiting for a concurrent writer;
SQLite has one writer at a time), in account-id order so that A→B and B→A
cannot deadlock. Callers that must read before they write (idempotency keys,
weekly caps, monthly gift limits) first call ``lock_accounts``.
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from ..audit import actor_id
from ..errors import Conflict, InvalidInput
from ..extensions import db
from .models import AccountKind, Entry, PointAccount, Transfer, TransferKind

ACCOUNTS = PointAccount.__table__


def _dialect() -> str:
    return db.session.get_bind().dialect.name


# --- accounts ---------------------------------------------------------------------------


def get_or_create_account(owner_key: str, kind: AccountKind, community_id: int, name: str, **owner) -> PointAccount:
    """The owner's account, created on first use; a concurrent creation is not an error.

    ``INSERT … ON CONFLICT DO NOTHING`` on the unique ``owner_key`` lets two
    requests race to create it and both end up with the same row.
    """
    statement = select(PointAccount).where(PointAccount.owner_key == owner_key)
    account = db.session.scalar(statement)
    if account is not None:
        return account
    values = dict(owner_key=owner_key, kind=kind, community_id=community_id, name=name[:80], balance=0, **owner)
    dialect = {"postgresql": postgresql, "sqlite": sqlite}.get(_dialect())
    if dialect is None:
        db.session.add(PointAccount(**values))
        db.session.flush()
    else:
        db.session.execute(dialect.insert(ACCOUNTS).values(**values).on_conflict_do_nothing(
            index_elements=["owner_key"]))
    return db.session.scalar(statement)


def lock_accounts(*accounts: PointAccount) -> None:
    """Lock the accounts' rows (in id order) for the rest of the transaction and reload their balances.

    PostgreSQL: ``SELECT … FOR NO KEY UPDATE`` (row locks that do not block
    foreign-key checks). SQLite has no row locks: a no-op ``UPDATE`` takes its
    single write lock, which serialises the whole transaction from here on.
    """
    ids = sorted({account.id for account in accounts})
    read = select(ACCOUNTS.c.id, ACCOUNTS.c.balance).where(ACCOUNTS.c.id.in_(ids)).order_by(ACCOUNTS.c.id)
    if _dialect() == "postgresql":
        read = read.with_for_update(key_share=True)
    else:
        db.session.execute(update(ACCOUNTS).where(ACCOUNTS.c.id == ids[0]).values(balance=ACCOUNTS.c.balance))
    fresh = dict(db.session.execute(read).all())
    for account in accounts:
        set_committed_value(account, "balance", fresh[account.id])


class InsufficientPoints(InvalidInput):
    """The paying account holds fewer points than the movement needs (422, names the field)."""

    code = "insufficient_points"

    @classmethod
    def for_field(cls, field: str, needed: int, balance: int) -> "InsufficientPoints":
        text = _l("Needs %(needed)s points, but the balance is %(balance)s.", needed=needed, balance=balance)
        return cls(text, {field: [text]}, balance=balance, needed=needed)


def _move(account: PointAccount, delta: int, field: str) -> int:
    """Apply ``delta`` to the cached balance, refusing to go below zero; return the new balance."""
    statement = update(ACCOUNTS).where(ACCOUNTS.c.id == account.id)
    if delta < 0 and account.kind != AccountKind.issuance:
        statement = statement.where(ACCOUNTS.c.balance >= -delta)
    new_balance = db.session.execute(
        statement.values(balance=ACCOUNTS.c.balance + delta).returning(ACCOUNTS.c.balance)).scalar_one_or_none()
    if new_balance is None:
        balance = db.session.scalar(select(ACCOUNTS.c.balance).where(ACCOUNTS.c.id == account.id))
        raise InsufficientPoints.for_field(field, -delta, balance)
    set_committed_value(account, "balance", new_balance)
    return new_balance


def post_transfer(source: PointAccount, target: PointAccount, amount: int, kind: TransferKind, community_id: int,
                  memo="", details: dict | None = None, reverses: Transfer | None = None,
                  field: str = "amount") -> Transfer:
    """Move ``amount`` points from ``source`` to ``target``: one transfer, two entries summing to zero.

    ``memo`` is a lazy text when the app writes it (kept as words), a str when a person typed it."""
    if type(amount) is not int or amount <= 0:
        raise InvalidInput(_l("Points are whole positive numbers."), {field: [_l("Enter a whole number of at least 1.")]},
                           code="bad_amount")
    if source.id == target.id:
        raise InvalidInput(_l("A transfer needs two different accounts."),
                           {field: [_l("The source and the target are the same account.")]}, code="same_account")
    balances = {}
    for account, delta in sorted(((source, -amount), (target, amount)), key=lambda pair: pair[0].id):
        balances[account.id] = _move(account, delta, field)
    transfer = Transfer(kind=kind, amount=amount, from_account=source, to_account=target, community_id=community_id,
                        reverses=reverses, memo_text=memo, details=details or {}, created_by_id=actor_id())
    transfer.entries = [
        Entry(account_id=source.id, amount=-amount, balance_after=balances[source.id]),
        Entry(account_id=target.id, amount=amount, balance_after=balances[target.id]),
    ]
    db.session.add(transfer)
    db.session.flush()
    return transfer


def reversal_of(transfer: Transfer) -> Transfer | None:
    return db.session.scalar(select(Transfer).where(Transfer.reverses_id == transfer.id))


def already_reversed(transfer: Transfer) -> Conflict:
    return Conflict(_l("Transfer No. %(id)s is already corrected.", id=transfer.id),
                    {"transfer_id": [_l("Already corrected.")]}, code="already_reversed")


def reverse_transfer(original: Transfer, reason, field: str = "reason") -> Transfer:
    """Post the transfer that undoes ``original`` (same amount, back again); at most once."""
    if original.kind == TransferKind.reversal:
        raise Conflict(_l("A correction cannot itself be corrected."),
                       {"transfer_id": [_l("A correction cannot itself be corrected.")]}, code="is_a_reversal")
    if reversal_of(original) is not None:
        raise already_reversed(original)
    return post_transfer(original.to_account, original.from_account, original.amount, TransferKind.reversal,
                         original.community_id, memo=reason, reverses=original, field=field)


# --- verification ---------------------------------------------------------------------------


@dataclass
class LedgerReport:
    accounts: int
    transfers: int
    total: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify() -> LedgerReport:
    """Check every invariant of the ledger against the database as it is now."""
    problems: list[str] = []
    sums = dict(db.session.execute(select(Entry.account_id, func.sum(Entry.amount)).group_by(Entry.account_id)).all())
    accounts = db.session.execute(select(PointAccount.id, PointAccount.kind, PointAccount.balance)).all()
    for account_id, kind, balance in accounts:
        derived = sums.get(account_id) or 0
        if balance != derived:
            problems.append(f"account {account_id}: cached balance {balance} != sum of entries {derived}")
        if balance < 0 and kind != AccountKind.issuance:
            problems.append(f"account {account_id}: negative balance {balance}")
    total = sum(sums.values())
    if total != 0:
        problems.append(f"the total over all accounts is {total}, not 0")

    running = func.sum(Entry.amount).over(partition_by=Entry.account_id, order_by=Entry.id)
    chain = select(Entry.id, Entry.account_id, Entry.balance_after, running.label("running")).subquery()
    for entry_id, account_id, after, expected in db.session.execute(
            select(chain).where(chain.c.balance_after != chain.c.running).limit(20)):
        problems.append(f"entry {entry_id} on account {account_id}: balance_after {after} != running sum {expected}")

    shape = (select(Transfer.id, Transfer.amount, Transfer.from_account_id, Transfer.to_account_id,
                    func.count(Entry.id), func.coalesce(func.sum(Entry.amount), 0),
                    func.min(Entry.amount), func.max(Entry.amount),
                    func.min(Entry.account_id), func.max(Entry.account_id))
             .outerjoin(Entry, Entry.transfer_id == Transfer.id).group_by(Transfer.id))
    transfers = 0
    for tid, amount, source, target, count, net, low, high, first, last in db.session.execute(shape):
        transfers += 1
        if count != 2 or net != 0 or (low, high) != (-amount, amount) or {first, last} != {source, target}:
            problems.append(f"transfer {tid}: entries do not match ({count} entries, net {net})")
    original = select(Transfer).subquery()
    mismatched = db.session.execute(
        select(Transfer.id).join(original, original.c.id == Transfer.reverses_id).where(
            (Transfer.amount != original.c.amount) | (Transfer.from_account_id != original.c.to_account_id)
            | (Transfer.to_account_id != original.c.from_account_id))).scalars().all()
    problems.extend(f"transfer {tid}: does not mirror the transfer it reverses" for tid in mismatched)
    return LedgerReport(len(accounts), transfers, total, problems)
