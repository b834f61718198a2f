"""The zh catalogue: every string the code and templates mark for translation has a zh translation, and the
compiled .mo holds exactly what the .po says.

Extraction is babel.cfg's own command (``pybabel extract -F babel.cfg -k _l -k lazy_gettext``), run in-process.
When this fails: extract, ``pybabel update``, translate the listed strings, rewrite sorted and unwrapped, compile
(the steps are in babel.cfg).
"""
import gettext
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
LC_MESSAGES = ROOT / "volunteer_app" / "translations" / "zh" / "LC_MESSAGES"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages babel extracts from the repository today (a temporary .pot)."""
    pot = tmp_path_factory.mktemp("catalogue") / "messages.pot"
    CommandLineInterface().run([
        "pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext",
        "-o", str(pot), str(ROOT),
    ])
    with pot.open("rb") as f:
        return read_po(f)


@pytest.fixture(scope="module")
def catalogue():
    with (LC_MESSAGES / "messages.po").open("rb") as f:
        return read_po(f, locale="zh")


def _translated(message) -> bool:
    if message is None or message.fuzzy:
        return False
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return bool(strings) and all(strings)


def test_extraction_finds_the_apps_strings(extracted):
    ids = {message.id for message in extracted if message.id}
    assert len(ids) > 500, "babel.cfg's extraction found almost nothing: is the mapping still right?"
    assert "Log out" in ids  # base.html
    assert "Jiamenkou" in ids


def test_every_extracted_string_has_a_zh_translation(extracted, catalogue):
    missing = sorted(
        str(message.id) + (f"  [context {message.context}]" if message.context else "")
        for message in extracted
        if message.id and not _translated(catalogue.get(message.id, message.context))
    )
    assert not missing, f"{len(missing)} msgid(s) without a (non-fuzzy) zh translation in messages.po:\n" + "\n".join(
        missing
    )


def _loaded(mo: bytes) -> dict:
    """What gettext (as Flask-Babel uses it) reads from a compiled catalogue, header left out."""
    catalog = gettext.GNUTranslations(BytesIO(mo))._catalog
    return {key: value for key, value in catalog.items() if key != ""}


def test_compiled_catalogue_matches_the_po(catalogue):
    compiled = BytesIO()
    write_mo(compiled, catalogue)  # as `pybabel compile` does: fuzzy entries left out
    expected = _loaded(compiled.getvalue())
    actual = _loaded((LC_MESSAGES / "messages.mo").read_bytes())
    stale = sorted(str(key) for key in expected.keys() - actual.keys())
    extra = sorted(str(key) for key in actual.keys() - expected.keys())
    changed = sorted(str(key) for key in expected.keys() & actual.keys() if expected[key] != actual[key])
    assert not (stale or extra or changed), (
        "messages.mo is out of step with messages.po; run `pybabel compile -d volunteer_app/translations`.\n"
        f"missing from the .mo: {stale}\nonly in the .mo: {extra}\ntranslated differently: {changed}"
    )
