"""A community with a coordinator, volunteers with logins, a resident in difficulty, a partner and its catalogue;
funding a volunteer through the real earning path."""
import itertools
from datetime import datetime
from types import SimpleNamespace

import pytest

from volunteer_app.accounts.models import Role
from volunteer_app.extensions import db
from volunteer_app.people.models import PriorityGroup, ResidentPriorityGroup
from volunteer_app.places.models import Community
from volunteer_app.points import service
from volunteer_app.points.models import CatalogueItem, ItemKind, Partner, PartnerKind, PointAccount

MONDAY_MORNING = datetime(2026, 11, 30, 9, 0)  # an ordinary working day, not evening
_sources = itertools.count(1)


def fund(volunteer_id: int, community_id: int, points: int, at: datetime = MONDAY_MORNING) -> PointAccount:
    """Give a volunteer ``points`` through the real earning path (default rule: 10 points an hour)."""
    service.earn_for_source("test", next(_sources), volunteer_id, community_id, points * 6, None, at, set())
    db.session.commit()
    return db.session.scalar(db.select(PointAccount).where(PointAccount.volunteer_id == volunteer_id))


def balance_of(account_id: int) -> int:
    db.session.expire_all()
    return db.session.get(PointAccount, account_id).balance


def _catalogue(community) -> dict:
    """Two partners and three items (a service, a fee discount, goods with stock), in one commit."""
    partner = Partner(community_id=community.id, name="红心物业", kind=PartnerKind.property_company)
    shop = Partner(community_id=community.id, name="红心超市", kind=PartnerKind.shop)
    offers = {
        "carpet": CatalogueItem(partner=partner, name="上门清洗地毯", kind=ItemKind.service, price=20),
        "fee": CatalogueItem(partner=partner, name="物业费抵扣10元", kind=ItemKind.fee_discount, price=50,
                             face_value_fen=1000),
        "rice": CatalogueItem(partner=shop, name="大米5kg", kind=ItemKind.goods, price=30, stock=3),
    }
    for item in offers.values():
        item.community_id = community.id
    db.session.add_all([partner, shop, *offers.values()])
    db.session.commit()
    return {"partner": partner, "shop": shop, **offers}


@pytest.fixture()
def town(make_grid, make_building, make_volunteer, make_resident, make_user, api_as):
    grid = make_grid()
    community = db.session.get(Community, grid.community_id)
    building = make_building(grid=grid)
    volunteers = [make_volunteer(grid=grid, name=name) for name in ("王芳", "刘洋")]
    needy = make_resident(building=building, name="赵大爷")
    needy.priority_groups = [ResidentPriorityGroup(group=PriorityGroup.elderly_alone)]
    other_resident = make_resident(building=building, name="孙女士")
    db.session.commit()
    coordinator = make_user(communities=[community], username="coord")
    volunteer_users = [make_user(role=Role.volunteer, volunteer_id=v.id, username=f"vol{i}")
                       for i, v in enumerate(volunteers)]
    return SimpleNamespace(
        community=community, community_id=community.id, grid=grid, building=building, volunteers=volunteers,
        volunteer_ids=[v.id for v in volunteers], needy=needy, other_resident=other_resident,
        coordinator_user=coordinator, volunteer_users=volunteer_users,
        coordinator=api_as(coordinator), vol=[api_as(u) for u in volunteer_users],
        **_catalogue(community),
    )
