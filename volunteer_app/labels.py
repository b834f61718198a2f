"""One registry of what people call stored codes (states, roles, kinds …), for pages, exports,
notifications and the API's messages alike.

Each domain registers its tables from its own ``labels.py``; a kind is registered once, so two
domains can never label the same code two ways. Texts are lazy: they read in the language of
wherever they are shown.
"""
from flask_babel import force_locale

_TABLES: dict[str, dict] = {}


def register(tables: dict[str, dict]) -> dict[str, dict]:
    """Add a domain's tables (``{kind: {code: lazy text}}``); returns them for the module to keep."""
    for kind, table in tables.items():
        if _TABLES.get(kind, table) is not table:
            raise ValueError(f"label kind {kind!r} is registered twice")
        _TABLES[kind] = table
    return tables


def label(kind: str, value):
    """The lazily translated label of a stored code (enum member or value); an unknown code as it is."""
    key = getattr(value, "value", value)
    text = _TABLES.get(kind, {}).get(key if key is not None else "")
    return text if text is not None else str(key)


def table(kind: str) -> dict:
    """Every code of a kind with its label, in the registered order (for choices in a form)."""
    return _TABLES[kind]


def in_chinese(kind: str) -> dict[str, str]:
    """A kind's labels as the installation stores and files them (exports' headers, filed memos): Chinese."""
    with force_locale("zh_CN"):
        return {key: str(text) for key, text in _TABLES[kind].items()}
