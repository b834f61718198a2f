"""The points town of tests/support/points.py, and makers of partners, items and rules."""
import pytest

from tests.support.points import town  # noqa: F401 (fixture)
from volunteer_app.extensions import db
from volunteer_app.points.models import CatalogueItem, EarningRule, ItemKind, Partner, PartnerKind


@pytest.fixture()
def make_partner(app_ctx):
    def make(community, name="红心物业", kind=PartnerKind.property_company):
        partner = Partner(community_id=community.id, name=name, kind=kind)
        db.session.add(partner)
        db.session.commit()
        return partner
    return make


@pytest.fixture()
def make_item(app_ctx):
    def make(partner, name="上门清洗地毯", kind=ItemKind.service, price=20, stock=None, face_value_fen=None):
        item = CatalogueItem(partner_id=partner.id, community_id=partner.community_id, name=name, kind=kind,
                             price=price, stock=stock, face_value_fen=face_value_fen)
        db.session.add(item)
        db.session.commit()
        return item
    return make


@pytest.fixture()
def set_rule(app_ctx):
    def make(community, **fields):
        rule = db.session.scalar(db.select(EarningRule).where(EarningRule.community_id == community.id))
        rule = rule or EarningRule(community_id=community.id)
        for key, value in fields.items():
            setattr(rule, key, value)
        db.session.add(rule)
        db.session.commit()
        return rule
    return make
