"""Texts kept as words at their source: a message id and its parameters, not a translation.

A notification, a memo or a history note is stored as data (``as_data``) and shown in the
reader's language when it is read (``shown``); the message id is the English source text of
the catalogue, so rewording a message changes its id and the catalogue test names it.
Values that are themselves lazy texts (a state's label) are stored the same way, nested.
"""
from flask_babel import LazyString, gettext, ngettext


def as_data(text):
    """A lazy text → ``{"msgid", "params"}`` (``"plural"`` and ``"num"`` for counted texts); anything else → str."""
    if isinstance(text, LazyString):
        args, params = text._args, {key: as_data(value) if isinstance(value, LazyString) else value
                                    for key, value in text._kwargs.items()}
        if text._func is ngettext:
            return {"msgid": args[0], "plural": args[1], "num": args[2], "params": params}
        return {"msgid": args[0], "params": params}
    return "" if text is None else str(text)


def shown(data) -> str:
    """Stored words in the language of wherever they are shown now (plain strings as they are)."""
    if not isinstance(data, dict):
        return "" if data is None else str(data)
    params = {key: shown(value) if isinstance(value, dict) else value for key, value in data.get("params", {}).items()}
    if "plural" in data:
        return ngettext(data["msgid"], data["plural"], data["num"], **params)
    return gettext(data["msgid"], **params)
