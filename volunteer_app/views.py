"""The helpers every domain's pages share: access, menu, labels, forms and their problems.

Pages are as thin as the API: a view turns the submitted form into the dict
the API's marshmallow ``*In`` schema loads, loads it through that schema (so
validation is the same), calls the same service, and commits once. Errors come
back as :class:`FormProblems`, shown next to the fields they name.
"""
import re
from dataclasses import dataclass, field
from functools import cache, wraps
from collections.abc import Callable

from flask import Flask, current_app, flash, make_response, redirect, request, session, url_for
from flask_babel import format_datetime, get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from marshmallow import Schema, ValidationError, fields
from sqlalchemy import func, select
from werkzeug.local import LocalProxy

from .clock import week_label
from .labels import label
from .errors import Conflict, InvalidInput, NotFound
from .extensions import db
from .pii import mask_id_number, mask_name, mask_phone, sees_pii
from .accounts import policy
from .accounts.policy import NOT_FOUND, STAFF, current_actor
from .resources import ID_IN_URL, commit, update_schema_for
from .validation import MAX_ID

#: Longest list offered in a select, so a city-wide admin's form stays small (the page's
#: script then narrows grids and buildings to the chosen community and grid).
OPTION_LIMIT = 2000
#: URL converter for record ids, the API's: larger ids cannot exist, so they 404.
RECORD_ID = ID_IN_URL
#: Most repeated rows (availability lines, opening hours …) read from one form.
MAX_FORM_ROWS = 60
#: Session key of the record a form just saved, for its list to show it first.
SAVED_KEY = "saved_record"


# --- access -------------------------------------------------------------------------------

def staff_required(view):
    """Registry pages are for coordinators and admins; volunteers and residents get 403."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        policy.require(current_actor(), "pages.staff")
        return view(*args, **kwargs)

    return wrapper


def qr_svg(url: str) -> Markup:
    """The URL as an inline SVG QR code (qrcode's pure-Python SVG writer: no imaging library)."""
    import qrcode
    from qrcode.image.svg import SvgPathImage

    image = qrcode.make(url, image_factory=SvgPathImage, box_size=10, border=4)
    return Markup(image.to_string(encoding="unicode"))


# --- navigation ---------------------------------------------------------------------------

@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy string, translated when rendered
    roles: frozenset
    order: int = 100
    active_prefix: str = ""  # endpoints starting with this mark the item as current
    group: str = ""  # one of NAV_GROUPS, or top level
    badge: Callable | None = None  # user → a count shown beside the label (unread messages …)


#: The menu's groups, so every item stays reachable on a phone and at 1366 px: code → (label, order).
NAV_GROUPS = {
    "roster": (_l("Duty rosters"), 45),
    "services": (_l("Requests and services"), 52),
    "registers": (_l("Registers"), 80),
}


@dataclass
class NavGroup:
    code: str
    label: object
    items: list[NavItem]
    order: int

    @property
    def active(self) -> bool:
        return any(nav_active(item) for item in self.items)


def register_nav(app: Flask, endpoint: str, label, roles=STAFF, order: int = 100, active_prefix: str = "",
                 group: str = "", badge: Callable | None = None) -> None:
    """Add a navigation entry; shown only to ``roles`` and only if ``endpoint`` exists.

    Each domain calls this from its ``init_app``; ``group`` files the entry under a menu group.
    """
    if group and group not in NAV_GROUPS:
        raise ValueError(f"unknown menu group {group!r}")
    items = app.extensions.setdefault("jiamenkou_nav", [])
    items.append(NavItem(endpoint, label, frozenset(roles), order, active_prefix or endpoint, group, badge))


def nav_items() -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    items = [
        item for item in current_app.extensions.get("jiamenkou_nav", [])
        if current_user.role in item.roles and item.endpoint in current_app.view_functions
    ]
    return sorted(items, key=lambda item: item.order)


def nav_menu() -> list[NavItem | NavGroup]:
    """The user's menu: top-level items and groups (a group with one item is shown as that item)."""
    entries: list[NavItem | NavGroup] = []
    groups: dict[str, NavGroup] = {}
    for item in nav_items():
        if not item.group:
            entries.append(item)
        elif item.group in groups:
            groups[item.group].items.append(item)
        else:
            label, order = NAV_GROUPS[item.group]
            groups[item.group] = NavGroup(item.group, label, [item], order)
    entries += [group if len(group.items) > 1 else group.items[0] for group in groups.values()]
    return sorted(entries, key=lambda entry: entry.order)


def nav_badge(item: NavItem) -> int:
    return item.badge(current_user) if item.badge else 0


def nav_active(item: NavItem) -> bool:
    endpoint = request.endpoint or ""
    return endpoint == item.endpoint or (bool(endpoint) and endpoint.startswith(item.active_prefix))


# --- labels for stored codes --------------------------------------------------------------

SHORT_DAYS = [_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun")]
WEEKDAYS = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"), _l("Sunday")]

def is_english() -> bool:
    return str(get_locale() or "").startswith("en")


def skill_name(skill) -> str:
    return skill.name_en if is_english() else skill.name_zh


def masked_phone(value: str | None, actor) -> str:
    """``{{ phone|masked_phone(actor) }}``: in full only for an actor with the PII permission."""
    return (value if sees_pii(actor) else mask_phone(value)) or ""


def masked_name(value: str | None, actor) -> str:
    return (value if sees_pii(actor) else mask_name(value)) or ""


def masked_id_number(value: str | None, actor) -> str:
    return (value if sees_pii(actor) else mask_id_number(value)) or ""


def page_actor() -> dict:
    """Every page's ``actor`` (None before login), for the helpers that depend on who is looking; found
    only when a template asks (an error page renders without it)."""
    return {"actor": LocalProxy(current_actor) if current_user.is_authenticated else None}


def no_store(page):
    """A page showing full phone numbers: kept by no cache, nor in the browser's history of pages."""
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


def form_id(name: str) -> int:
    """A record id a page's form sends (a hidden field): missing or impossible is a 404, like a wrong URL."""
    value = request.form.get(name, "")
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= MAX_ID:
        raise NotFound(NOT_FOUND)
    return int(value)


def local_time(moment) -> str:
    """A stored UTC moment in China time (Flask-Babel's configured zone)."""
    return format_datetime(moment, "yyyy-MM-dd HH:mm") if moment else ""


def day_label(day) -> str:
    """``周一 12-07``: a day as people read it in lists of duties and requests."""
    return f"{SHORT_DAYS[day.weekday()]} {day:%m-%d}"


def hhmm(value) -> str:
    return value.strftime("%H:%M") if value is not None else ""


# --- list pages ---------------------------------------------------------------------------

_INTEGER = re.compile(r"[+-]?\d{1,18}")
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")


def typed(schema: Schema, data: dict) -> dict:
    """Form strings → the JSON types the API schema expects (numbers where it wants numbers).

    A value that is not a clean number is passed on as typed, so the schema
    refuses it and names the field, exactly as the API would.
    """
    return {key: _typed_value(schema.fields.get(key), value) for key, value in data.items()}


def _typed_value(schema_field, value):
    if isinstance(value, str):
        text = value.strip()
        if isinstance(schema_field, fields.Integer) and _INTEGER.fullmatch(text):
            return int(text)
        if isinstance(schema_field, fields.Float) and _DECIMAL.fullmatch(text):
            return float(text)
    elif isinstance(value, list) and isinstance(schema_field, fields.List):
        inner = schema_field.inner
        if isinstance(inner, fields.Nested):
            return [typed(inner.schema, item) if isinstance(item, dict) else item for item in value]
        return [_typed_value(inner, item) for item in value]
    return value


def load_query(schema: Schema) -> dict:
    """Read list arguments through the API's query schema; a bad argument is ignored, not fatal."""
    raw = typed(schema, {key: value.strip() for key, value in request.args.items() if value.strip()})
    try:
        return schema.load(raw)
    except ValidationError as exc:
        return schema.load({key: value for key, value in raw.items() if key not in exc.messages})


def url_with(**changes) -> str:
    """The current page's URL with some query arguments changed (``None`` drops one)."""
    args = request.args.to_dict()
    args.update({key: value for key, value in changes.items()})
    args = {key: value for key, value in args.items() if value not in (None, "")}
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def scoped_options(service, *order_by) -> list:
    """Records of a service inside the caller's scope, for a select."""
    statement = service.query(current_actor()).order_by(*order_by).limit(OPTION_LIMIT)
    return db.session.scalars(statement).all()


def names_by_id(model, ids) -> dict:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {obj.id: obj for obj in db.session.scalars(select(model).where(model.id.in_(ids)))}


def counts_by_community(service, model, community_ids) -> dict[int, int]:
    """How many of a service's in-scope records each community holds."""
    if not community_ids:
        return {}
    inner = service.query(current_actor()).where(model.community_id.in_(community_ids)).subquery()
    rows = db.session.execute(select(inner.c.community_id, func.count()).group_by(inner.c.community_id))
    return {community_id: count for community_id, count in rows}


# --- forms --------------------------------------------------------------------------------

def flatten_errors(messages, prefix: str = "") -> dict[str, list[str]]:
    """``{"availability": {0: {"end": [...]}}}`` → ``{"availability.0.end": [...]}``, in the page's language
    (every message is written where its rule is as a lazily translated text: ``str`` gives its words)."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            key = "_form" if key == "_schema" and not prefix else str(key)
            for name, problems in flatten_errors(value, f"{prefix}.{key}" if prefix else key).items():
                flat.setdefault(name, []).extend(problems)
    elif isinstance(messages, (list, tuple)):
        for item in messages:
            if isinstance(item, (dict, list, tuple)):
                for name, problems in flatten_errors(item, prefix).items():
                    flat.setdefault(name, []).extend(problems)
            else:
                flat.setdefault(prefix or "_form", []).append(str(item))
    else:
        flat.setdefault(prefix or "_form", []).append(str(messages))
    return flat


@dataclass
class FormProblems:
    """Why a submitted form was not saved: HTTP status, per-field messages, a banner."""

    status: int
    errors: dict[str, list[str]] = field(default_factory=dict)
    message: str | None = None
    stale: bool = False
    existing: dict | None = None

    def get(self, name: str) -> list[str]:
        return self.errors.get(name, [])

    def under(self, prefix: str) -> bool:
        return any(key == prefix or key.startswith(prefix + ".") for key in self.errors)


def problems_from_domain(error: InvalidInput | Conflict) -> FormProblems:
    errors = flatten_errors(error.errors)
    stale = "version" in error.errors
    existing = error.extra.get("existing")
    message = None
    if stale:
        errors.pop("version", None)
        message = gettext("Someone else changed this record while you were editing. "
                          "Reload the page to see their changes, then make yours again.")
    elif existing:
        who = existing.get("name") or existing.get("code") or existing.get("id")
        for key in errors:
            errors[key] = [gettext("Already registered: %(name)s (No. %(id)s)", name=who, id=existing.get("id"))]
        message = gettext("This duplicates an existing record: %(name)s.", name=who)
    return FormProblems(error.status, errors, message, stale, existing)


def save(schema: Schema, data: dict, action: Callable[[dict], object]) -> tuple[object, FormProblems | None]:
    """Load ``data`` through the API schema, run the service ``action``, commit once.

    Nothing is half-written: any refusal rolls the session back.
    """
    try:
        loaded = schema.load(typed(schema, data))
        result = action(loaded)
        commit()
    except ValidationError as exc:
        db.session.rollback()
        problems = FormProblems(422, flatten_errors(exc.messages))
        if problems.errors.pop("version", None):  # the hidden field was tampered with or lost
            problems.stale = True
            problems.message = gettext("This form is out of date. Reload the page and make your changes again.")
        return None, problems
    except (InvalidInput, Conflict) as exc:
        db.session.rollback()
        return None, problems_from_domain(exc)
    return result, None


@cache
def patch_schema(in_schema: type[Schema]) -> Schema:
    return update_schema_for(in_schema)


def form_view(*, service, in_schema: type[Schema], obj, values_for: Callable, values_from_form: Callable,
              payload: Callable, render: Callable, saved_message: Callable, next_url: Callable):
    """GET shows the form; POST saves through the schema and the service, or re-shows it with the problems.

    ``values_for(obj)`` gives the form's values for a record (defaults when
    ``obj`` is None), ``values_from_form(form)`` the same shape from a
    submission, ``payload(values, obj)`` the dict the schema loads.
    """
    actor = current_actor()
    service.require_writer(actor, obj)
    if request.method != "POST":
        return render(values_for(obj), None)
    values = values_from_form(request.form)
    data = payload(values, obj)
    if obj is None:
        saved, problems = save(in_schema(), data, lambda loaded: service.create(actor, loaded))
    else:
        def update(loaded: dict):
            return service.update(actor, obj, loaded)

        data["version"] = values.get("version") or None
        saved, problems = save(patch_schema(in_schema), data, update)
    if problems is None:
        flash(saved_message(saved), "success")
        session[SAVED_KEY] = {"entity": saved.__tablename__, "id": saved.id}
        return redirect(next_url(saved))
    return render(values, problems), problems.status


def saved_first(service, page: dict) -> dict:
    """A list page with the record its form just saved at the top, marked as ``saved_id``,
    wherever sorting, filters or paging would put it (once, like the "saved" message)."""
    saved = session.pop(SAVED_KEY, None)
    if not saved or saved["entity"] != service.model.__tablename__:
        return page
    try:
        record = service.get(current_actor(), saved["id"])
    except NotFound:  # deleted meanwhile
        return page
    return {**page, "items": [record, *[i for i in page["items"] if i.id != record.id]], "saved_id": record.id}


def blank_to_none(values: dict, keys) -> dict:
    """Form strings → schema input: an empty input means "no value"."""
    return {key: (values.get(key) or "").strip() or None for key in keys}


def form_rows(form, prefix: str, names: tuple[str, ...], significant: tuple[str, ...]) -> list[dict]:
    """Repeated inputs named ``<prefix>-<i>-<name>``, in order, leaving out rows left blank."""
    pattern = re.compile(rf"{re.escape(prefix)}-(\d+)-\w+")
    indices = sorted({int(m.group(1)) for key in form.keys() if (m := pattern.fullmatch(key))})[:MAX_FORM_ROWS]
    rows = []
    for index in indices:
        row = {name: form.get(f"{prefix}-{index}-{name}", "").strip() for name in names}
        if any(row[name] for name in significant):
            rows.append(row)
    return rows


def rows_payload(rows: list[dict]) -> list[dict]:
    return [{key: value or None for key, value in row.items()} for row in rows]


# --- registration -------------------------------------------------------------------------

def init_app(app: Flask) -> None:
    """The helpers every page template uses; each domain's ``init_app`` adds its pages and menu entries."""
    app.jinja_env.globals.update(
        nav_items=nav_items, nav_menu=nav_menu, nav_badge=nav_badge, nav_active=nav_active, url_with=url_with, label=label,
        weekdays=WEEKDAYS, is_english=is_english, local_time=local_time, day_label=day_label,
    )
    app.context_processor(page_actor)
    app.jinja_env.filters.update(
        masked_phone=masked_phone, masked_id_number=masked_id_number, masked_name=masked_name, skill_name=skill_name, hhmm=hhmm,
        week_label=week_label,
    )
