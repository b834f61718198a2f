"""The records coordinators keep: earning rules, partners and their catalogue items, and
which communities' catalogues a volunteer or resident may redeem from.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select, true

from ...accounts import policy
from ...accounts.policy import Actor
from ...errors import Conflict, InvalidInput
from ...extensions import db
from ...places.models import Community
from ...resources import ResourceService
from ..models import CatalogueItem, EarningRule, ItemKind, Partner, PointAccount, Redemption
from .earning import rule_for


def cross_allowed(payer_community_id: int, offer_community_id: int) -> bool:
    """Points cross a community border only if the rules on both sides allow it."""
    return payer_community_id == offer_community_id or (
        rule_for(payer_community_id).cross_community and rule_for(offer_community_id).cross_community)


def catalogue_communities(actor: Actor) -> set[int]:
    """Communities whose catalogue a volunteer or resident may redeem from."""
    home = actor.home_community
    if home is None:
        return set()
    if not rule_for(home).cross_community:
        return {home}
    return {home} | set(db.session.scalars(select(EarningRule.community_id).where(EarningRule.cross_community)))


class CommunityRecordService(ResourceService):
    """Coordinators read and write their scope; volunteers and residents read what concerns them."""

    def readable_communities(self, actor: Actor) -> set[int]:
        return catalogue_communities(actor)

    def public_clause(self):
        return true()

    def query(self, actor: Actor):
        if actor.is_staff:
            return super().query(actor)
        return select(self.model).where(self.model.community_id.in_(self.readable_communities(actor)),
                                        self.public_clause())

    def visible(self, actor: Actor, obj) -> bool:
        if actor.is_staff:
            return super().visible(actor, obj)
        return db.session.scalar(self.query(actor).where(self.model.id == obj.id)) is not None

    def filtered(self, actor: Actor, args):
        statement = super().filtered(actor, args)
        for key in ("community_id", "partner_id", "kind", "active"):
            if args.get(key) is not None and hasattr(self.model, key):
                statement = statement.where(getattr(self.model, key) == args[key])
        return statement

    def apply(self, obj, data: dict):
        for key, value in data.items():
            setattr(obj, key, value)
        db.session.add(obj)
        db.session.flush()
        return obj

    def keep_community(self, obj, data: dict) -> None:
        if "community_id" in data and data["community_id"] != obj.community_id:
            raise InvalidInput(_l("Cannot move to another community."),
                               {"community_id": [_l("Cannot move to another community.")]}, code="community_fixed")


def in_use() -> Conflict:
    """A partner or item that orders or accounts refer to stays, switched off."""
    text = _l("It is in use: switch it off (not on offer) instead of deleting it.")
    return Conflict(text, {"active": [text]}, code="in_use")


class RuleService(CommunityRecordService):
    model, what = EarningRule, "earning rule"

    def readable_communities(self, actor: Actor) -> set[int]:
        return {actor.home_community} if actor.home_community is not None else set()

    def build(self, actor: Actor, data: dict) -> EarningRule:
        community = policy.parent(actor, Community, data["community_id"], "community_id")
        existing = db.session.scalar(select(EarningRule.id).where(EarningRule.community_id == community.id))
        if existing is not None:
            raise Conflict(_l("This community has its rules already."),
                           {"community_id": [_l("This community has its rules already.")]},
                           code="rule_exists", existing={"id": existing})
        return self.apply(EarningRule(), data)

    def change(self, actor: Actor, rule: EarningRule, data: dict) -> EarningRule:
        self.keep_community(rule, data)
        return self.apply(rule, data)


class PartnerService(CommunityRecordService):
    model, what = Partner, "partner"

    def public_clause(self):
        return Partner.active

    def build(self, actor: Actor, data: dict) -> Partner:
        policy.parent(actor, Community, data["community_id"], "community_id")
        return self.apply(Partner(), data)

    def change(self, actor: Actor, partner: Partner, data: dict) -> Partner:
        self.keep_community(partner, data)
        return self.apply(partner, data)

    def remove(self, actor: Actor, partner: Partner) -> None:
        used = db.session.scalar(select(func.count(CatalogueItem.id)).where(CatalogueItem.partner_id == partner.id))
        has_account = db.session.scalar(select(PointAccount.id).where(PointAccount.partner_id == partner.id))
        if used or has_account:
            raise in_use()
        super().remove(actor, partner)


class ItemService(CommunityRecordService):
    model, what = CatalogueItem, "catalogue item"

    def public_clause(self):
        return and_(CatalogueItem.active, CatalogueItem.partner_id.in_(select(Partner.id).where(Partner.active)))

    def build(self, actor: Actor, data: dict) -> CatalogueItem:
        item = CatalogueItem()
        return self.change(actor, item, data)

    def change(self, actor: Actor, item: CatalogueItem, data: dict) -> CatalogueItem:
        if "partner_id" in data and data["partner_id"] != item.partner_id:
            partner = policy.parent(actor, Partner, data["partner_id"], "partner_id")
            if item.id is not None and partner.community_id != item.community_id:
                raise InvalidInput(_l("Cannot move to another community."),
                                   {"partner_id": [_l("This partner is in another community.")]}, code="community_fixed")
            data["community_id"] = partner.community_id
        merged = {key: data.get(key, getattr(item, key)) for key in ("kind", "stock", "face_value_fen")}
        if merged["kind"] == ItemKind.goods and merged["stock"] is None:
            raise InvalidInput(_l("Goods need a stock (0 or more)."), {"stock": [_l("Goods need a stock (0 or more).")]},
                               code="stock_required")
        if (merged["kind"] == ItemKind.fee_discount) != (merged["face_value_fen"] is not None):
            text = _l("A fee discount needs its amount in yuan; other kinds have none.")
            raise InvalidInput(text, {"face_value_fen": [text]}, code="face_value")
        return self.apply(item, data)

    def remove(self, actor: Actor, item: CatalogueItem) -> None:
        if db.session.scalar(select(Redemption.id).where(Redemption.item_id == item.id).limit(1)) is not None:
            raise in_use()
        super().remove(actor, item)


rules = RuleService()
partners = PartnerService()
items = ItemService()
