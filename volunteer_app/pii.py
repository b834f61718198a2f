"""Masking of names (李*), phone and ID numbers (138****5678) for those without the PII permission.

Who sees what is a decision handed in, never read from the request: pages pass the actor to the
template filters (``views.masked_phone(value, actor)``), and the API sets the schemas' context
(``Output``, marshmallow's context variable) to the actor whose answer is being written. Without a
context, numbers are masked.
"""
from typing import Any, TypedDict

from marshmallow import fields
from marshmallow.experimental.context import Context


class OutputContext(TypedDict):
    actor: Any  # accounts.policy.Actor: whoever the output is for (infrastructure names no domain)


#: The context schemas dump in: ``with Output({"actor": actor}): schema.dump(record)``.
Output = Context[OutputContext]


def mask_phone(phone: str | None) -> str | None:
    if not phone or len(phone) < 7:
        return phone
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_id_number(number: str | None) -> str | None:
    if not number or len(number) < 8:
        return number
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_name(name: str | None) -> str | None:
    """李秀英 → 李*: enough for a neighbour to recognise, not enough to look someone up."""
    return name[:1] + "*" if name else name


def sees_pii(actor) -> bool:
    """Only accounts explicitly granted the PII permission see full numbers in lists and records."""
    return bool(actor is not None and actor.can_view_pii)


def output_sees_pii() -> bool:
    """Whether the actor the schemas are dumping for (``Output``) sees full numbers; nobody when unset."""
    return sees_pii(Output.get({}).get("actor"))


class MaskedPhone(fields.String):
    def _serialize(self, value, attr, obj, **kwargs):
        return value if output_sees_pii() else mask_phone(value)


class MaskedIdNumber(fields.String):
    def _serialize(self, value, attr, obj, **kwargs):
        return value if output_sees_pii() else mask_id_number(value)
