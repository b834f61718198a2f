"""The reports' refusals are written where the rule is: the API answers in its client's language (English by
default), the page in the page's, from the same text."""
import re

from tests.support.pages import logged_in, text_of

ENGLISH = "Enter an ISO week such as 2026-W48 or a month such as 2026-11."
CHINESE = "请输入周次（如 2026-W48）或月份（如 2026-11）。"


def test_a_bad_period_reads_in_the_readers_language(district, app_ctx):
    admin_api = district.api_admin
    english = admin_api.get("/reports/dashboard", query_string={"period": "2026-W99"})
    chinese = admin_api.get("/reports/dashboard", query_string={"period": "2026-W99"},
                            headers={"Accept-Language": "zh-CN"})
    assert english.status_code == chinese.status_code == 422
    assert english.json["errors"]["query.period"] == [ENGLISH]
    assert chinese.json["errors"]["query.period"] == [CHINESE]
    page = logged_in(app_ctx, "coord-a").get("/reports", query_string={"period": "2026-W99"})
    assert page.status_code == 422 and re.search(rf'id="period-error">{re.escape(CHINESE)}<', text_of(page))
