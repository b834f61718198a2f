"""The app's JSON: lazily translated texts written in the reader's language, and bodies read with guards.

Every JSON body the app reads goes through ``JSONProvider.loads`` (the first
reader is the control-character check that runs before any view), so one
guard answers a 422 naming the place for what would otherwise be a 500 deep
inside a view: nesting deeper than any of our documents (Python's parser
gives up with RecursionError) and lone UTF-16 surrogates (``"\\ud800"``),
which no database or spreadsheet can store.
"""
import json
import re

from flask.json.provider import DefaultJSONProvider
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from .errors import InvalidInput

#: Deeper than any document the API takes (a roster problem is 4 levels).
MAX_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


class JSONProvider(DefaultJSONProvider):
    @staticmethod
    def default(o):
        if isinstance(o, LazyString):
            return str(o)
        return DefaultJSONProvider.default(o)

    def loads(self, s, **kwargs):
        try:
            value = json.loads(s, **kwargs)
        except RecursionError:
            raise _too_deep("_body") from None
        check_document(value)
        return value


def _too_deep(where: str) -> InvalidInput:
    return InvalidInput(_l("The JSON body nests deeper than %(depth)s levels.", depth=MAX_DEPTH),
                        {where: [_l("Nested deeper than %(depth)s levels.", depth=MAX_DEPTH)]}, code="body_too_deep")


def check_document(value) -> None:
    """Depth and Unicode of a parsed body, walked without recursion; the first problem names its path."""
    stack = [(value, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _too_deep(path or "_body")
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise InvalidInput(_l("Text must be valid Unicode."),
                                   {path or "_body": [_l("Contains an unpaired surrogate (invalid Unicode).")]},
                                   code="invalid_unicode")
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and _SURROGATE.search(key):
                    raise InvalidInput(_l("Text must be valid Unicode."),
                                       {path or "_body": [_l("A key contains an unpaired surrogate.")]},
                                       code="invalid_unicode")
                stack.append((child, f"{path}.{key}" if path else str(key), depth + 1))
        elif isinstance(item, list):
            stack.extend((child, f"{path}.{index}" if path else str(index), depth + 1)
                         for index, child in enumerate(item))
