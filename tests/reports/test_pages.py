"""Report pages with the Flask test client: the dashboard draws its SVG charts with the
numbers, the period picker, the 周通报 and the 双报到 pages; errors and scope."""
import re

from volunteer_app.accounts.models import Role

from tests.support.pages import logged_in, text_of
from tests.support.reports import WEEK


def svg(html: str, chart_id: str) -> str:
    match = re.search(rf'<svg class="chart" id="{chart_id}".*?</svg>', html, re.S)
    assert match, f"no chart {chart_id}"
    return match.group(0)


def values(chart: str) -> list[str]:
    return re.findall(r'class="chart-value"[^>]*>([^<]*)<', chart)


def card(html: str, label: str) -> str:
    match = re.search(rf'<li class="rp-card[^"]*"><span>{re.escape(label)}</span><strong>([^<]*)</strong>', html)
    assert match, f"no card {label}"
    return match.group(1)


def test_the_dashboard_draws_its_charts_with_the_numbers(district, app_ctx):
    page = logged_in(app_ctx, "coord-a").get("/reports", query_string={"period": WEEK})
    assert page.status_code == 200
    html = text_of(page)
    assert 'href="/static/css/reports.css"' in html and "<script src=\"http" not in html
    assert (card(html, "受理工单"), card(html, "办结率"), card(html, "按时办结率"), card(html, "满意度")) == \
        ("6", "60.0%", "66.7%", "4.00")
    assert (card(html, "当前超时"), card(html, "志愿服务时长"), card(html, "值守岗位到岗"), card(html, "发放积分")) == \
        ("2", "5.0", "2 / 3", "50")
    states = svg(html, "chart-states")
    assert 'role="img"' in states and 'aria-labelledby="chart-states-title chart-states-desc"' in states
    assert '<title id="chart-states-title">工单状态分布</title>' in states and "共 6 件" in states
    # submitted, accepted, dispatched, in progress, resolved, rated, rejected, withdrawn, handed on
    assert values(states) == ["0", "1", "0", "0", "1", "2", "1", "1", "0"]
    hours = svg(html, "chart-hours")
    assert values(hours) == ["0", "0", "0", "0", "0", "1", "0", "5"]
    assert ">W49<" in hours and "2026-W42 至 2026-W49" in hours
    ranking = svg(html, "chart-ranking")
    assert "1. 维北社区" in ranking and values(ranking) == ["60.0%"]
    # the same numbers in tables, and the workbook one click away
    assert re.search(r"<th scope=\"row\">已评价</th><td>2</td>", html)
    assert re.search(r"<th scope=\"row\">11月30日–12月6日</th><td>5.0</td>", html)  # weeks read as dates
    assert 'href="/api/v1/reports/dashboard.xlsx?period=2026-W49"' in html
    assert "维北一网格" not in html  # grids once a community is chosen


def test_choosing_a_community_shows_its_grids(district, app_ctx):
    client = logged_in(app_ctx, "admin")
    html = text_of(client.get("/reports", query_string={"period": WEEK, "community_id": district.b.id}))
    assert card(html, "受理工单") == "2" and "同心一网格" in html and "维北一网格" not in html
    assert f'community_id={district.b.id}' in html  # the workbook link keeps the choice
    assert client.get("/reports", query_string={"community_id": 2**31 - 1}).status_code == 404


def test_the_period_picker_defaults_to_this_week(district, app_ctx):
    html = text_of(logged_in(app_ctx, "coord-a").get("/reports"))  # the service clock reads 2026-12-01
    assert card(html, "受理工单") == "6"
    assert re.search(r'href="/reports\?period=2026-W49"[^>]*aria-current="true">本周<', html)
    for text, label in (("上周", "2026-W48"), ("本月", "2026-12"), ("上月", "2026-11")):
        assert re.search(rf'href="/reports\?period={label}"[^>]*>{text}<', html), text


def test_a_bad_period_is_shown_next_to_its_field(district, app_ctx):
    page = logged_in(app_ctx, "coord-a").get("/reports", query_string={"period": "2026-W99"})
    assert page.status_code == 422
    html = text_of(page)
    assert 'aria-invalid="true"' in html and 'value="2026-W99"' in html
    assert re.search(r'id="period-error">请输入周次', html)
    assert '<svg class="chart"' not in html


def test_the_weekly_ranking_page(district, app_ctx):
    html = text_of(logged_in(app_ctx, "admin").get("/reports/ranking", query_string={"period": WEEK}))
    rows = re.findall(r'<td data-label="排名" class="rp-rank">(\d+)</td>\s*<th scope="row" data-label="社区">([^<]+)</th>',
                      html)
    assert rows == [("1", "同心社区"), ("2", "兴华社区"), ("3", "维北社区"), ("4", "永安社区"), ("4", "新民社区")]
    assert 'href="/api/v1/reports/ranking.xlsx?period=2026-W49"' in html


def test_party_unit_pages_stay_in_scope(district, app_ctx):
    client = logged_in(app_ctx, "coord-a")
    html = text_of(client.get("/reports/party-units", query_string={"period": WEEK}))
    assert "市税务局" in html and "区人民医院" not in html
    page = client.get("/reports/party-units/unit", query_string={"period": WEEK, "unit": "市税务局"})
    assert page.status_code == 200
    html = text_of(page)
    assert "在职党员双报到服务情况反馈: 市税务局" in html and "市税务局机关党委" in html
    member = re.search(r'<th scope="row" data-label="姓名">党员甲</th>(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'data-label="[^"]+">([^<]+)', member)[:4] == ["维北社区", "3.0", "4.0 / 20", "1 / 1 "]
    assert client.get("/reports/party-units/unit", query_string={"period": WEEK, "unit": "区人民医院"}).status_code == 404


def test_reports_are_for_staff(district, app_ctx, make_user):
    make_user(role=Role.volunteer, volunteer_id=district.members[0].id, username="member-1")
    client = logged_in(app_ctx, "member-1")
    for path in ("/reports", "/reports/ranking", "/reports/party-units"):
        assert client.get(path).status_code == 403, path
