"""Debian's Chromium driven by Playwright: where it is, the two screen sizes, logging in."""
import re
from pathlib import Path

from tests.support.pages import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
HOME = r"/(me|my/week)?"  # where a login lands when no page was asked for


def log_in(page, base: str, username: str, lands_on: str = HOME, start: str = "") -> None:
    """Log in through the form (going on to ``start`` if given) and wait for the page whose
    path matches the regular expression ``lands_on``."""
    page.goto(base + "/login" + (f"?next={start}" if start else ""))
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#log-in")
    page.wait_for_url(re.compile(re.escape(base) + lands_on + "$"))


def menu_links(page) -> list[tuple[str, str]]:
    """(group label or "", link href) of every menu entry, opening each group to reach its links."""
    found = []
    nav = page.locator("nav.mainnav")
    for index in range(nav.locator(":scope > ul > li").count()):
        entry = nav.locator(":scope > ul > li").nth(index)
        summary = entry.locator(":scope > details > summary")
        if summary.count():
            summary.click()
            for link in entry.locator("details ul a").all():
                assert link.is_visible(), link.inner_text()
                found.append((summary.inner_text().strip(" ▾"), link.get_attribute("href")))
            summary.click()
        else:
            link = entry.locator("a")
            assert link.is_visible(), link.inner_text()
            found.append(("", link.get_attribute("href")))
    return found


def visit_every_entry(page, base: str, on_page=None) -> list[tuple[str, str]]:
    """Open every menu entry from the menu itself (groups opened first); ``on_page(href)`` checks each page."""
    entries = menu_links(page)
    for group, href in entries:
        box = page.locator(f'nav.mainnav a[href="{href}"]').first
        if group:
            page.locator("nav.mainnav summary", has_text=group).click()
        assert box.is_visible() and box.bounding_box()["x"] + box.bounding_box()["width"] <= page.viewport_size["width"]
        box.click()
        page.wait_for_load_state()
        assert page.url.split("?")[0].endswith(href.split("?")[0]), (href, page.url)
        assert page.locator("h1").count() >= 1
        if on_page:
            on_page(href)
    return entries


def menu_link(page, name: str):
    """The menu's link called ``name``, its group opened first when it sits in one (值班 ▾, 台账 ▾ …).

    A closed group's links are not rendered, so they are found by their text, not their role."""
    link = page.locator(f'nav.mainnav a:text-is("{name}")').first
    if not link.is_visible():
        page.locator("nav.mainnav details").filter(has=page.locator(f'a:text-is("{name}")')).locator("summary").click()
    return link
