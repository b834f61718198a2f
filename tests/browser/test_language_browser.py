"""Every word a person reads on a zh-CN page is Chinese: no English left from a service, no internal
codes. The check reads each menu page's visible text and fails on Latin words outside a short list of
what Chinese pages legitimately show (units, file formats, product names)."""
import re

import pytest

from tests.support.browser import DESKTOP, log_in, visit_every_entry
from tests.support.roster import district, make_template  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

#: Latin words a Chinese page may show: file formats, units, names of things people know by them.
ALLOWED = {"excel", "xlsx", "csv", "ics", "api", "id", "qr", "pdf", "sms", "url", "km", "min", "english", "wifi",
           "gbk", "utf",  # character sets named on the import page
           "webhook"}  # what 企业微信 itself calls a group robot's address
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]{2,}")


def english_words(page, usernames: set[str]) -> set[str]:
    text = page.evaluate("document.querySelector('main').innerText + ' ' + "
                         "document.querySelector('nav.mainnav')?.innerText")
    return {word for word in LATIN_WORD.findall(text)
            if word.lower().strip("'’-") not in ALLOWED and word not in usernames}


@pytest.mark.parametrize("username", ["coord", "vol1"])
def test_zh_pages_carry_no_english(browser, live_server, district, username):
    context = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, live_server, username)
    found: dict[str, set[str]] = {}

    def check(href: str) -> None:
        words = english_words(page, {"coord", "vol1", "vol0", "vol2", "vol3", "vol4"})
        if words:
            found[href] = words

    visit_every_entry(page, live_server, on_page=check)
    context.close()
    assert not found, found
