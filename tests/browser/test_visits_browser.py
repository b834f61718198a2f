"""A grid worker records a visit on a 390 px phone in a real headless Chromium: from the menu to
the saved visit in a handful of taps, a need passed on as a request, the to-do list updated.

The taps and the time it took are printed (``-s``), not asserted: speed is measured, not tested."""
import re
import time

import pytest

from tests.support.browser import log_in
from tests.support.visits import area, clock, make_service_type, record  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_a_grid_worker_records_a_visit_on_a_phone(page, live_server, area):
    log_in(page, live_server, "gridworker", "/")
    assert "3 名重点人群逾期未访" in page.locator(".todo-list").inner_text()

    started, taps = time.monotonic(), 0
    page.locator("nav.mainnav").get_by_role("link", name="走访").click()
    assert "本月走访覆盖率" in page.locator("#summary").inner_text() and fits_the_screen(page)
    page.get_by_role("link", name="+ 记录走访").click()
    page.fill("input[name=q]", "王")
    page.get_by_role("button", name="搜索").click()
    page.get_by_role("link", name="记录对王奶奶的走访").click()
    taps += 5
    assert page.locator("input[name=kind][value=key_group]").is_checked()  # a priority-group resident
    assert fits_the_screen(page)
    page.fill("#f-findings", "身体不错，血压偏高")
    page.fill("#needs-0-description", "厨房下水道堵了")
    page.get_by_role("button", name="+ 再加一条诉求").click()
    page.fill("#needs-1-description", "帮忙换了灯泡")
    page.check("input[name='needs-1-solved_on_spot']")
    page.get_by_role("button", name="保存走访记录").click()
    taps += 6
    page.wait_for_url(re.compile(r".*/visits/\d+$"))
    elapsed = time.monotonic() - started
    assert "走访已记录" in page.locator(".alert-success").inner_text()
    needs = page.locator(".v-needs > li")
    assert needs.count() == 2
    assert "待转办" in needs.nth(0).inner_text() and "当场解决" in needs.nth(1).inner_text()
    assert fits_the_screen(page)
    print(f"\nvisit recorded at 390 px in {taps} taps and fields, {elapsed:.1f} s of browser time")

    needs.nth(0).get_by_text("转为工单").click()
    with page.expect_navigation():  # back to this same visit's page
        needs.nth(0).get_by_role("button", name="提交工单").click()
    assert re.search(r"已转为工单 \d+ 号", page.locator(".alert-success").inner_text())
    assert "处置中" in page.locator(".v-needs > li").nth(0).inner_text()

    page.get_by_role("link", name="走访下一户").click()
    assert page.locator("#household-%d" % area.residents["王奶奶"].id).locator("text=上次走访 2026-11-30").count() == 1
    page.goto(live_server + "/")
    assert "2 名重点人群逾期未访" in page.locator(".todo-list").inner_text()
