"""Random sequences of earnings, redemptions, decisions, reversals and gifts against a simple model.

After every step: each balance equals the sum of its entries, no balance or
stock is negative, the total over all accounts is zero, and the database
agrees with the model on every balance and stock.
"""
import itertools
from datetime import date, datetime

from hypothesis import HealthCheck, given, settings, strategies as st

from volunteer_app.accounts.models import CoordinatorScope, Role, User
from volunteer_app.accounts.policy import Actor
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.people.models import PriorityGroup, Resident, ResidentPriorityGroup, Volunteer
from volunteer_app.places.models import Building, Community, Grid, Subdistrict
from volunteer_app.points import service
from volunteer_app.points.models import (
    CatalogueItem, EarningRule, ItemKind, Partner, PartnerKind, PointAccount, Redemption, RedemptionStatus,
)

CAP, GIFT_MAX, GIFT_MONTH = 300, 50, 120
PRICES, STOCKS = (20, 35, 50), (None, 4, 2)
_serial = itertools.count(1)

steps = st.lists(st.one_of(
    st.tuples(st.just("earn"), st.integers(0, 2), st.integers(1, 300), st.booleans()),
    st.tuples(st.just("redeem"), st.integers(0, 2), st.integers(0, 2), st.integers(1, 3)),
    st.tuples(st.just("decide"), st.integers(0, 30), st.sampled_from(sorted(service.TRANSITIONS))),
    st.tuples(st.just("reverse"), st.integers(0, 30)),
    st.tuples(st.just("gift"), st.integers(0, 2), st.integers(1, 60), st.booleans()),
), min_size=1, max_size=16)


def a_small_town():
    """One community, three volunteers, a resident in difficulty, a partner with three items (one commit)."""
    n = next(_serial)
    community = Community(code=f"P{n}", name="属性社区", subdistrict=Subdistrict(code=f"PS{n}", name="街道"))
    grid = Grid(code=f"PG{n}", name="网格", community=community, lat=43.88, lon=125.32)
    db.session.add_all([community, grid])
    db.session.flush()
    building = Building(code=f"PB{n}", name="1号楼", grid_id=grid.id, community_id=community.id, lat=43.88, lon=125.32)
    db.session.add(building)
    db.session.flush()
    volunteers = [Volunteer(name=f"志愿者{i}", phone=f"137{n:04d}{i:04d}", community_id=community.id, grid_id=grid.id,
                            lat=43.88, lon=125.32, joined_on=date(2026, 1, 1)) for i in range(3)]
    resident = Resident(name="困难户", phone=f"136{n:08d}", community_id=community.id, grid_id=grid.id,
                        building_id=building.id,
                        priority_groups=[ResidentPriorityGroup(group=PriorityGroup.low_income)])
    partner = Partner(community_id=community.id, name="物业", kind=PartnerKind.property_company)
    items = [CatalogueItem(partner=partner, community_id=community.id, name=f"item{i}",
                           kind=ItemKind.goods if stock is not None else ItemKind.service, price=price, stock=stock)
             for i, (price, stock) in enumerate(zip(PRICES, STOCKS))]
    rule = EarningRule(community_id=community.id, weekly_cap=CAP, gift_max_per_transfer=GIFT_MAX,
                       gift_max_per_month=GIFT_MONTH)
    coordinator = User(username=f"prop{n}", display_name="协调员", role=Role.coordinator,
                       scopes=[CoordinatorScope(community_id=community.id)])
    db.session.add_all([*volunteers, resident, partner, *items, rule, coordinator])
    db.session.flush()
    db.session.add_all([User(username=f"prop{n}v{i}", display_name=v.name, role=Role.volunteer, volunteer_id=v.id)
                        for i, v in enumerate(volunteers)])
    db.session.commit()
    return community, volunteers, resident, items, coordinator


def holder(volunteer: Volunteer) -> Actor:
    return Actor.of(db.session.scalar(db.select(User).where(User.volunteer_id == volunteer.id)))


class Model:
    """What the books should say, computed the simple way."""

    def __init__(self, items):
        self.balance = [0, 0, 0]
        self.stock = {item.id: item.stock for item in items}
        self.price = {item.id: item.price for item in items}
        self.orders: list[dict] = []
        self.earnings: list[dict] = []
        self.gifted = [0, 0, 0]

    def earn(self, volunteer: int, minutes: int, evening: bool) -> int:
        base = minutes * 10 * (150 if evening else 100) // 6000
        used = sum(e["points"] for e in self.earnings if e["volunteer"] == volunteer and not e["reversed"])
        return max(0, min(base, CAP - used))


def check(model: Model, volunteers, items) -> None:
    db.session.expire_all()
    report = service.check_books(Actor.system())
    assert report.ok, report.problems
    assert report.total == 0
    for index, volunteer in enumerate(volunteers):
        account = db.session.scalar(db.select(PointAccount).where(PointAccount.volunteer_id == volunteer.id))
        assert (account.balance if account else 0) == model.balance[index] >= 0
    for item in items:
        stock = db.session.get(CatalogueItem, item.id).stock
        assert stock == model.stock[item.id] and (stock is None or stock >= 0)
    db.session.rollback()


def run_step(step, model: Model, volunteers, resident, items, coordinator, source) -> None:
    kind, *args = step
    if kind == "earn":
        volunteer, minutes, evening = args
        expected = model.earn(volunteer, minutes, evening)
        at = datetime(2026, 11, 30, 19 if evening else 9)
        transfer = service.earn_for_source("property", source, volunteers[volunteer].id, volunteers[0].community_id,
                                           minutes, None, at, set())
        assert (transfer.amount if transfer else 0) == expected
        model.balance[volunteer] += expected
        model.earnings.append({"source": source, "volunteer": volunteer, "points": expected, "reversed": False})
    elif kind == "redeem":
        volunteer, item_index, quantity = args
        item = items[item_index]
        cost, stock = model.price[item.id] * quantity, model.stock[item.id]
        payer = service.volunteer_account(volunteers[volunteer])
        affordable = model.balance[volunteer] >= cost and (stock is None or stock >= quantity)
        try:
            order, created = service.redeem(Actor.of(coordinator), payer, item.id, quantity, f"prop-key-{source}", "")
        except DomainError:
            assert not affordable
            raise
        assert affordable and created
        model.balance[volunteer] -= cost
        if stock is not None:
            model.stock[item.id] -= quantity
        model.orders.append({"id": order.id, "volunteer": volunteer, "points": cost, "item": item.id,
                             "quantity": quantity, "status": RedemptionStatus.requested})
    elif kind == "decide" and model.orders:
        index, action = args
        entry = model.orders[index % len(model.orders)]
        starts, target = service.TRANSITIONS[action]
        try:
            service.change_status(Actor.of(coordinator), db.session.get(Redemption, entry["id"]), action, "reason")
        except DomainError:
            assert entry["status"] not in starts
            raise
        assert entry["status"] in starts
        entry["status"] = target
        if target in (RedemptionStatus.rejected, RedemptionStatus.cancelled):
            model.balance[entry["volunteer"]] += entry["points"]
            if model.stock[entry["item"]] is not None:
                model.stock[entry["item"]] += entry["quantity"]
    elif kind == "reverse" and model.earnings:
        entry = model.earnings[args[0] % len(model.earnings)]
        owed = 0 if entry["reversed"] else entry["points"]
        try:
            service.reverse_source("property", entry["source"], "property test")
        except DomainError:
            assert model.balance[entry["volunteer"]] < owed
            raise
        model.balance[entry["volunteer"]] -= owed
        entry["reversed"], entry["points"] = True, 0
    elif kind == "gift":
        volunteer, amount, to_pool = args
        ok = (amount <= GIFT_MAX and model.gifted[volunteer] + amount <= GIFT_MONTH
              and model.balance[volunteer] >= amount)
        sender = service.volunteer_account(volunteers[volunteer])
        try:
            service.gift(holder(volunteers[volunteer]), sender, amount, None if to_pool else resident.id, to_pool, "")
        except DomainError:
            assert not ok
            raise
        assert ok
        model.balance[volunteer] -= amount
        model.gifted[volunteer] += amount


@settings(max_examples=20, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sequence=steps)
def test_random_sequences_keep_the_books_balanced(app_ctx, sequence):
    community, volunteers, resident, items, coordinator = a_small_town()
    model = Model(items)
    for step in sequence:
        try:
            run_step(step, model, volunteers, resident, items, coordinator, next(_serial))
            db.session.commit()
        except DomainError:
            db.session.rollback()
        check(model, volunteers, items)
