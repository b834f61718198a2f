"""The district of tests/support/reports.py, and an order of points redeemed in it."""
import pytest

from tests.support.reports import clock, district, make_service_type, make_template  # noqa: F401 (fixtures)
from volunteer_app.accounts.policy import Actor
from volunteer_app.extensions import db
from volunteer_app.points import service as points
from volunteer_app.points.models import CatalogueItem, ItemKind, Partner, PartnerKind


@pytest.fixture()
def redemption(district):
    """党员甲 spends 20 of their 30 points at the property company; the order is fulfilled now (real time)."""
    partner = Partner(community_id=district.a.id, name="红心物业", kind=PartnerKind.property_company)
    item = CatalogueItem(partner=partner, community_id=district.a.id, name="上门清洗地毯", kind=ItemKind.service,
                         price=20)
    db.session.add_all([partner, item])
    db.session.commit()
    payer = points.volunteer_account(district.members[0])
    coordinator = Actor.of(district.coordinator_a)
    order, _ = points.redeem(coordinator, payer, item.id, 1, "carpet-0001", "")
    for action in ("approve", "fulfil"):
        points.change_status(coordinator, order, action)
    db.session.commit()
    return order
