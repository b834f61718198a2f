"""Texts kept as words at their source: a message id and its parameters, not a translation.

A notification, a memo or a history note is stored as data (``as_data``) and shown in the
reader's language when it is read (``shown``); the message id is the English source text of
the catalogue, so rewording a message changes its id and the catalogue test names it.
Values that are themselves lazy texts (a state's label) are stored the same way, nested.

A model column that holds either kind of text (a memo the app writes, or one a person types) keeps
its words beside it in ``<column>_words`` and is set and read through ``Worded``.
"""
from flask_babel import LazyString, force_locale, gettext, lazy_gettext, lazy_ngettext, ngettext

#: The language the installation files its texts in (plain columns, outside channels).
FILED_LOCALE = "zh_CN"


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


def as_text(data):
    """Stored words as a lazy text again, to pass on as a parameter of another message; a str as it is."""
    if not isinstance(data, dict):
        return "" if data is None else str(data)
    params = {key: as_text(value) if isinstance(value, dict) else value for key, value in data.get("params", {}).items()}
    if "plural" in data:
        return lazy_ngettext(data["msgid"], data["plural"], data["num"], **params)
    return lazy_gettext(data["msgid"], **params)


def in_chinese(text) -> str:
    """A text as the installation files it: in Chinese, whoever wrote it."""
    with force_locale(FILED_LOCALE):
        return "" if text is None else str(text)


class Worded:
    """A text attribute over the columns ``<column>`` and ``<column>_words``.

    Set to a lazy text (written by the app) it keeps the words, and the Chinese in the plain column for
    whoever reads the table; set to a str (typed by a person) it keeps that as it is. Read, it is the
    text in the reader's language.
    """

    def __init__(self, column: str):
        self.column, self.words = column, f"{column}_words"

    def __get__(self, row, owner=None):
        if row is None:
            return self
        return shown(getattr(row, self.words) or getattr(row, self.column))

    def __set__(self, row, text) -> None:
        length = row.__table__.c[self.column].type.length
        plain = in_chinese(text) if isinstance(text, LazyString) else ("" if text is None else str(text))
        setattr(row, self.column, plain[:length] if length else plain)
        setattr(row, self.words, as_data(text) if isinstance(text, LazyString) else None)
