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
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(base) + lands_on + "$"))
