"""Masking of names (李*), phone and ID numbers (138****5678) for users without the PII permission."""
from flask import has_request_context
from flask_login import current_user
from marshmallow import fields


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


def pii_visible() -> bool:
    """Only users explicitly granted the PII permission see full numbers."""
    return bool(has_request_context() and current_user.is_authenticated and current_user.can_view_pii)


class MaskedPhone(fields.String):
    def _serialize(self, value, attr, obj, **kwargs):
        return value if pii_visible() else mask_phone(value)


class MaskedIdNumber(fields.String):
    def _serialize(self, value, attr, obj, **kwargs):
        return value if pii_visible() else mask_id_number(value)
