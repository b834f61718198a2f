"""A real HTTP server over the test database, and Debian's Chromium driven by Playwright.

The app is the session ``app`` fixture; each test seeds data with the
factories inside ``app_ctx`` and commits before the browser connects.
"""
import threading

import pytest
from werkzeug.serving import make_server

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, PHONE


def buffered(app):
    """Each response read whole and its iterable closed before a byte is sent: werkzeug's development
    server skips ``close()`` when the browser drops a connection mid-response (a page navigating away
    while a static file streams), leaving the file open for a ResourceWarning at a later test."""
    def serve(environ, start_response):
        result = app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            if hasattr(result, "close"):
                result.close()
    return serve


@pytest.fixture()
def live_server(app_ctx):
    """``http://127.0.0.1:<free port>`` serving the app from a background thread."""
    server = make_server("127.0.0.1", 0, buffered(app_ctx), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    # CI installs Chromium; a missing browser is a failure, never a skip.
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture()
def page(browser):
    """A fresh browser profile (no cookies) in Chinese, phone-sized."""
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()
