"""The shared shape of a registry resource: scoped queries, versioned updates, paging.

Each domain's ``service.py`` subclasses ``ResourceService`` with its own
rules; ``register_crud`` wires one to a flask-smorest blueprint so every
entity gets the same list/get/create/update/delete contract.
"""
from math import ceil

from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import Select, func, select
from sqlalchemy.orm import lazyload

from .accounts import policy
from .accounts.policy import Actor, current_actor
from .errors import Conflict, NotFound
from .extensions import db
from .models_base import utcnow


ID_IN_URL = "int(min=1, max=2147483647)"  # larger ids cannot exist: 404, not a database overflow
MAX_PER_PAGE = 200


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))


def page_schema(item_schema: type[Schema]) -> type[Schema]:
    """A ``{items, total, page, per_page, pages}`` envelope named after its item."""
    return type(
        item_schema.__name__.removesuffix("Schema") + "Page",
        (Schema,),
        {
            "items": fields.List(fields.Nested(item_schema)),
            "total": fields.Integer(),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "pages": fields.Integer(),
        },
    )


def paginate(statement: Select, page: int, per_page: int) -> dict:
    """One page of ``statement`` (which selects one model) as the ``page_schema`` envelope.

    ``error_out=False``: a page past the end is an empty page, not a 404. A page that is not full ends the
    list, so it tells the total itself: most lists a phone reads fit one page, and skip the count query.
    """
    result = db.paginate(statement, page=page, per_page=per_page, max_per_page=MAX_PER_PAGE, error_out=False,
                         count=False)
    ends_here = len(result.items) < result.per_page and (result.items or result.page == 1)
    total = (result.page - 1) * result.per_page + len(result.items) if ends_here else db.session.scalar(
        select(func.count()).select_from(statement.options(lazyload("*")).order_by(None).subquery()))
    return {"items": result.items, "total": total, "page": result.page, "per_page": result.per_page,
            "pages": ceil(total / result.per_page)}


def check_version(obj, version: int) -> None:
    """Refuse a write based on an older read, instead of dropping someone's edit."""
    if obj.version != version:
        raise Conflict(
            _l("Someone else changed this record meanwhile; reload it and make your change again."),
            {"version": [_l("You sent version %(sent)s; the record is at version %(current)s.",
                            sent=version, current=obj.version)]},
            code="stale", current_version=obj.version,
        )


def commit() -> None:
    """The one commit of a request (a lost race surfaces as 409 via errors.py)."""
    db.session.commit()


class ResourceService:
    """Scoped CRUD for one model; subclasses add the domain rules.

    ``list``, ``get``, ``create``, ``update`` and ``delete`` are the entry points:
    each asks the policy (``read_action``/``write_action``) for the actor it is
    given; subclasses write the rules in ``query``, ``filtered``, ``build``,
    ``change`` and ``remove``.
    """

    model: type
    what: str
    order_by: tuple = ()
    read_action = "records.read"
    write_action = "records.write"

    def query(self, actor: Actor) -> Select:
        """Every row the actor may read."""
        return select(self.model).where(policy.where(actor, self.read_action, self.model))

    def visible(self, actor: Actor, obj) -> bool:
        return policy.may(actor, self.read_action, obj)

    def filtered(self, actor: Actor, args: dict) -> Select:
        return self.query(actor)

    def list(self, actor: Actor, args: dict) -> dict:
        statement = self.filtered(actor, args).order_by(*(self.order_by or (self.model.id,)))
        return paginate(statement, args["page"], args["per_page"])

    def get(self, actor: Actor, record_id) -> object:
        obj = db.session.get(self.model, record_id)
        if obj is None or not self.visible(actor, obj):
            raise NotFound(policy.NOT_FOUND)
        return obj

    def require_writer(self, actor: Actor, obj=None) -> None:
        """403 unless the actor's role may change these records (404 for a record beyond its reach)."""
        policy.require(actor, self.write_action, obj)

    def create(self, actor: Actor, data: dict):
        self.require_writer(actor)
        return self.build(actor, data)

    def update(self, actor: Actor, obj, data: dict):
        """Update with the ``version`` the client read (in ``data``); 409 when stale.

        Always writes (and so re-checks the version in the UPDATE), even when
        nothing changed: a no-op edit on a stale read must not report success.
        """
        self.require_writer(actor, obj)
        check_version(obj, data.pop("version"))
        obj.updated_at = utcnow()
        return self.change(actor, obj, data)

    def delete(self, actor: Actor, obj) -> None:
        self.require_writer(actor, obj)
        self.remove(actor, obj)

    def build(self, actor: Actor, data: dict):
        raise NotImplementedError

    def change(self, actor: Actor, obj, data: dict):
        raise NotImplementedError

    def remove(self, actor: Actor, obj) -> None:
        db.session.delete(obj)
        db.session.flush()


def register_crud(
    blp: Blueprint,
    url: str,
    service: ResourceService,
    out_schema: type[Schema],
    in_schema: type[Schema],
    query_schema: type[Schema],
    update_schema: type[Schema],
) -> None:
    """Add ``url`` (list, create) and ``url/<id>`` (get, update, delete) to ``blp``."""
    name = url.strip("/").replace("-", "_")
    page = page_schema(out_schema)

    class Collection(MethodView):
        @blp.arguments(query_schema, location="query")
        @blp.response(200, page)
        def get(self, args):
            return service.list(current_actor(), args)

        @blp.arguments(in_schema)
        @blp.response(201, out_schema)
        def post(self, data):
            obj = service.create(current_actor(), data)
            commit()
            return obj

    class Item(MethodView):
        @blp.response(200, out_schema)
        def get(self, record_id):
            return service.get(current_actor(), record_id)

        @blp.arguments(update_schema)
        @blp.response(200, out_schema)
        def patch(self, data, record_id):
            actor = current_actor()
            obj = service.update(actor, service.get(actor, record_id), data)
            commit()
            return obj

        @blp.response(204)
        def delete(self, record_id):
            actor = current_actor()
            service.delete(actor, service.get(actor, record_id))
            commit()

    Collection.__doc__ = f"List or create {service.what} records"
    Item.__doc__ = f"Read, change or delete one {service.what}"
    blp.route(url, endpoint=f"{name}_collection")(Collection)
    blp.route(f"{url}/<{ID_IN_URL}:record_id>", endpoint=f"{name}_item")(Item)


def update_schema_for(in_schema: type[Schema]) -> Schema:
    """PATCH body: any subset of the create fields, plus the ``version`` that was read."""
    cls = type(in_schema.__name__.removesuffix("In") + "Patch", (in_schema,), {
        "version": fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1),
                                  metadata={"description": "version you read; 409 if stale"}),
    })
    return cls(partial=tuple(name for name in in_schema().fields))
