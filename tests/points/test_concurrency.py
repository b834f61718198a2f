"""Many simultaneous redemptions at one account: exactly as many succeed as the balance (or stock) allows.

PostgreSQL gets the full 100 requests; SQLite, which has one writer at a
time and a busy timeout, gets fewer, but the assertions are the same.
"""
from collections import Counter

import pytest
from sqlalchemy import func, select

from volunteer_app.accounts.policy import Actor
from volunteer_app.extensions import db
from volunteer_app.points import service
from volunteer_app.points.models import CatalogueItem, Redemption

from tests.support.concurrency import run_together
from tests.support.points import balance_of, fund


@pytest.fixture()
def burst(is_postgres):
    return 100 if is_postgres else 20


def redeem_calls(api, item, keys):
    item_id = item.id  # read here: the threads have no app context to load it
    return [lambda key=key: api.post("/points/redemptions", json={"item_id": item_id},
                                     headers={"Idempotency-Key": key}) for key in keys]


def assert_books_ok():
    db.session.expire_all()
    report = service.check_books(Actor.system())
    db.session.rollback()
    assert report.ok, report.problems


def test_simultaneous_redemptions_never_overdraw_one_account(town, burst):
    affordable = burst * 37 // 100
    price = town.carpet.price
    account = fund(town.volunteer_ids[0], town.community_id, price * affordable + price - 1)
    responses = run_together(redeem_calls(town.vol[0], town.carpet, [f"burst-{i:04d}" for i in range(burst)]))
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: affordable, 422: burst - affordable}, [r.json for r in responses if r.status_code >= 500]
    assert all("quantity" in r.json["errors"] for r in responses if r.status_code == 422)
    assert balance_of(account.id) == price - 1
    assert db.session.scalar(select(func.count(Redemption.id))) == affordable
    assert_books_ok()


def test_simultaneous_redemptions_never_oversell_the_stock(town, burst):
    stock = burst // 5
    db.session.get(CatalogueItem, town.rice.id).stock = stock
    db.session.commit()
    account = fund(town.volunteer_ids[0], town.community_id, town.rice.price * burst)
    responses = run_together(redeem_calls(town.vol[0], town.rice, [f"stock-{i:04d}" for i in range(burst)]))
    assert Counter(r.status_code for r in responses) == {201: stock, 422: burst - stock}
    db.session.expire_all()
    assert db.session.get(CatalogueItem, town.rice.id).stock == 0
    assert balance_of(account.id) == town.rice.price * (burst - stock)
    assert_books_ok()


def test_a_retried_request_racing_itself_redeems_once(town):
    account = fund(town.volunteer_ids[0], town.community_id, 100)
    responses = run_together(redeem_calls(town.vol[0], town.carpet, ["same-key-0001"] * 8))
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({r.json["id"] for r in responses}) == 1
    assert balance_of(account.id) == 100 - town.carpet.price
    assert_books_ok()
