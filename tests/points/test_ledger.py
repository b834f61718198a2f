"""The double-entry core: two entries per transfer, cached balance = sum of entries, no negatives, reversals once."""
import pytest
from sqlalchemy import func, select, update

from volunteer_app.errors import Conflict, InvalidInput
from volunteer_app.extensions import db
from volunteer_app.points import ledger, service
from volunteer_app.points.models import AccountKind, Entry, PointAccount, Transfer, TransferKind


@pytest.fixture()
def accounts(town):
    issuance = service.community_account(AccountKind.issuance, town.community_id)
    volunteer = service.volunteer_account(town.volunteers[0])
    pool = service.community_account(AccountKind.community_pool, town.community_id)
    db.session.commit()
    return issuance, volunteer, pool


def entry_sum(account_id: int) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(Entry.amount), 0)).where(Entry.account_id == account_id))


def test_a_transfer_is_two_entries_that_sum_to_zero(accounts):
    issuance, volunteer, _ = accounts
    transfer = ledger.post_transfer(issuance, volunteer, 30, TransferKind.earning, issuance.community_id, memo="test")
    db.session.commit()
    assert sorted(e.amount for e in transfer.entries) == [-30, 30]
    assert {e.account_id for e in transfer.entries} == {issuance.id, volunteer.id}
    assert (volunteer.balance, issuance.balance) == (30, -30)
    assert entry_sum(volunteer.id) == 30 and entry_sum(issuance.id) == -30
    assert [e.balance_after for e in transfer.entries if e.account_id == volunteer.id] == [30]
    assert ledger.verify().ok


def test_amounts_are_positive_integers(accounts):
    issuance, volunteer, _ = accounts
    for amount in (0, -5, 1.5, True, "3"):
        with pytest.raises(InvalidInput) as error:
            ledger.post_transfer(issuance, volunteer, amount, TransferKind.earning, issuance.community_id)
        assert "amount" in error.value.errors
    assert ledger.verify().transfers == 0


def test_no_account_but_issuance_goes_negative_and_nothing_is_half_written(accounts):
    issuance, volunteer, pool = accounts
    ledger.post_transfer(issuance, volunteer, 10, TransferKind.earning, issuance.community_id)
    db.session.commit()
    with pytest.raises(ledger.InsufficientPoints) as error:
        ledger.post_transfer(volunteer, pool, 11, TransferKind.gift, issuance.community_id)
    db.session.rollback()
    assert error.value.code == "insufficient_points" and list(error.value.errors) == ["amount"]
    assert error.value.extra == {"balance": 10, "needed": 11}
    assert db.session.scalar(select(func.count(Transfer.id))) == 1
    assert db.session.get(PointAccount, volunteer.id).balance == 10


def test_the_database_refuses_a_negative_balance_even_past_the_service(accounts):
    _, volunteer, _ = accounts
    with pytest.raises(Exception):  # the CHECK constraint, whichever driver error it is
        db.session.execute(update(PointAccount).where(PointAccount.id == volunteer.id).values(balance=-1))
        db.session.flush()
    db.session.rollback()


def test_a_reversal_mirrors_the_original_and_happens_once(accounts):
    issuance, volunteer, pool = accounts
    ledger.post_transfer(issuance, volunteer, 40, TransferKind.earning, issuance.community_id)
    gift = ledger.post_transfer(volunteer, pool, 15, TransferKind.gift, issuance.community_id)
    reversal = ledger.reverse_transfer(gift, "by mistake")
    db.session.commit()
    assert (reversal.from_account_id, reversal.to_account_id, reversal.amount) == (pool.id, volunteer.id, 15)
    assert reversal.reverses_id == gift.id and ledger.reversal_of(gift).id == reversal.id
    assert (volunteer.balance, pool.balance) == (40, 0)
    with pytest.raises(Conflict):
        ledger.reverse_transfer(gift, "again")
    with pytest.raises(Conflict):
        ledger.reverse_transfer(reversal, "undo the undo")
    db.session.rollback()
    assert ledger.verify().ok


def test_entries_and_transfers_are_append_only(accounts):
    issuance, volunteer, _ = accounts
    transfer = ledger.post_transfer(issuance, volunteer, 5, TransferKind.earning, issuance.community_id)
    db.session.commit()
    transfer.memo = "rewritten"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(Entry, transfer.entries[0].id))
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()


def test_verify_finds_a_cached_balance_that_drifted(accounts):
    issuance, volunteer, _ = accounts
    ledger.post_transfer(issuance, volunteer, 25, TransferKind.earning, issuance.community_id)
    db.session.commit()
    db.session.execute(update(PointAccount).where(PointAccount.id == volunteer.id).values(balance=26))
    report = ledger.verify()
    db.session.rollback()
    assert report.problems == [f"account {volunteer.id}: cached balance 26 != sum of entries 25"]


def test_one_account_per_owner_however_often_it_is_asked_for(town):
    first = service.volunteer_account(town.volunteers[0])
    second = service.volunteer_account(town.volunteers[0])
    pool = service.community_account(AccountKind.community_pool, town.community_id)
    db.session.commit()
    assert first.id == second.id and pool.id != first.id
    assert db.session.scalar(select(func.count(PointAccount.id))) == 2
    assert pool.name.startswith(town.community.name)
