"""The app installs on a phone: a manifest, and a service worker that keeps "my week" readable offline."""
import pytest

from tests.support.browser import PHONE, log_in
from tests.support.roster import district, make_template  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def test_the_manifest_makes_the_app_installable(client):
    manifest = client.get("/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.mimetype == "application/manifest+json"
    body = manifest.json
    assert body["display"] == "standalone" and body["start_url"] == "/" and body["icons"]
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker.headers["Service-Worker-Allowed"] == "/"
    assert b"my\\/week" in worker.data


def test_my_week_stays_readable_offline_and_logout_forgets_it(browser, live_server, district):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, service_workers="allow")
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, live_server, "vol1")
    page.goto(f"{live_server}/my/week")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled: this load is kept
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.reload()
    heading = page.locator("h1").inner_text()
    assert "jiamenkou-pages" in page.evaluate("caches.keys()")
    context.set_offline(True)
    page.reload()
    assert page.locator("h1").inner_text() == heading  # the kept copy, not the browser's offline page
    context.set_offline(False)
    page.locator("form[action='/logout'] button").click()
    page.wait_for_url("**/login**")
    kept = None
    for _ in range(50):  # the login page empties the cache as it loads: a shared phone keeps nothing
        kept = page.evaluate("caches.keys()")
        if "jiamenkou-pages" not in kept:
            break
        page.wait_for_timeout(100)
    assert "jiamenkou-pages" not in kept
    context.close()
