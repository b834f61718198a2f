"""The visit pages through the test client, in Chinese: the checklist a grid worker records from, the
form, one visit with its needs passed on, overdue visits on the to-do list, coverage, frequencies."""
import re

from sqlalchemy import select

from tests.support.pages import logged_in, post, text_of
from volunteer_app.extensions import db
from volunteer_app.visits.models import Visit, VisitFrequency, VisitKind


def _client(app_ctx, username):
    return logged_in(app_ctx, username)


def visit_form(**changes) -> dict:
    return {"kind": "key_group", "visited_at": "2026-11-30T08:40", "findings": "身体不错，血压偏高",
            "needs-0-description": "厨房下水道堵了", "needs-1-description": "帮忙换了灯泡",
            "needs-1-solved_on_spot": "y", **changes}


def test_a_grid_worker_records_a_visit_from_the_checklist(app_ctx, area):
    client = _client(app_ctx, "gridworker")
    checklist = text_of(client.get("/visits/households"))
    assert "王奶奶" in checklist and "刘家" not in checklist  # grid B is not theirs
    assert "从未走访" in checklist and "独居老人" in checklist
    resident = area.residents["王奶奶"]
    form = text_of(client.get(f"/visits/new?resident_id={resident.id}"))
    assert re.search(r'value="key_group" checked', form), "a priority-group resident's visit starts as one"
    assert 'value="2026-11-30T09:00"' in form
    saved = post(client, f"/visits/new?resident_id={resident.id}", visit_form(), f"/visits/new?resident_id={resident.id}")
    assert saved.status_code == 302
    visit = db.session.scalars(select(Visit)).one()
    assert saved.headers["Location"].endswith(f"/visits/{visit.id}")
    assert (visit.kind, visit.findings, [(n.description, n.solved_on_spot) for n in visit.needs]) == (
        VisitKind.key_group, "身体不错，血压偏高", [("厨房下水道堵了", False), ("帮忙换了灯泡", True)])
    page = text_of(client.get(f"/visits/{visit.id}"))
    assert "转为工单" in page and "当场解决" in page and "待转办" in page
    assert f'<option value="{area.repair.id}">维修</option>' in page  # the community's menu to file it under
    filed = post(client, f"/visits/{visit.id}/needs/{visit.needs[0].id}/request",
                 {"service_type_id": str(area.repair.id)}, f"/visits/{visit.id}")
    assert filed.status_code == 302
    page = text_of(client.get(f"/visits/{visit.id}"))
    db.session.expire_all()
    assert f"已转为工单 {visit.needs[0].request_id} 号" in page and "处置中" in page


def test_a_refused_visit_shows_the_problem_by_its_field(app_ctx, area):
    client = _client(app_ctx, "gridworker")
    resident = area.residents["张家"]
    url = f"/visits/new?resident_id={resident.id}"
    refused = post(client, url, visit_form(visited_at="2026-12-01T09:00"), url)
    assert refused.status_code == 422
    assert "不能记录尚未发生的走访" in text_of(refused) and 'id="visited_at-error"' in text_of(refused)
    assert db.session.scalars(select(Visit)).all() == []
    other = area.residents["刘家"]
    assert client.get(f"/visits/new?resident_id={other.id}").status_code == 404
    assert client.get("/visits/new?resident_id=x").status_code == 404
    assert client.get("/visits/new").status_code == 302  # nobody chosen: the checklist


def test_a_building_visit_and_a_wish_refused_for_it(app_ctx, area):
    client = _client(app_ctx, "coord")
    url = f"/visits/new?building_id={area.building_b.id}"
    assert "楼栋整体走访" in text_of(client.get(url))
    post(client, url, visit_form(kind="night"), url)
    visit = db.session.scalars(select(Visit)).one()
    assert visit.resident_id is None and visit.kind == VisitKind.night
    assert "转为微心愿" not in text_of(client.get(f"/visits/{visit.id}"))


def test_volunteers_get_no_visit_page(app_ctx, area):
    client = _client(app_ctx, "vol")
    assert client.get("/visits").status_code == 403
    assert client.get("/visits/overdue").status_code == 403


def test_overdue_visits_reach_the_to_do_list_and_their_page(app_ctx, area):
    client = _client(app_ctx, "gridworker")
    home = text_of(client.get("/"))
    assert "3 名重点人群逾期未访" in home
    overdue = text_of(client.get("/visits/overdue"))
    assert all(name in overdue for name in ("王奶奶", "李大爷", "赵家")) and "陈阿姨" not in overdue
    assert f'/visits/new?resident_id={area.residents["王奶奶"].id}&amp;kind=key_group' in overdue


def test_coverage_page_and_the_dashboard_show_the_months_figures(app_ctx, area, record):
    record("coordinator", "王奶奶")
    record("coordinator", "刘家")
    client = _client(app_ctx, "coord")
    report = text_of(client.get("/visits/report?month=2026-11"))
    assert "33.3%" in report and "已走访 2 / 6 户" in report
    assert re.search(r'id="grid-%d".*?50\.0%%' % area.grid_b.id, report, re.S)
    dashboard = text_of(client.get("/reports?period=2026-11"))
    section = dashboard[dashboard.index('id="visit-figures"'):]
    assert "33.3%" in section[:2000] and "逾期未访" in section[:2000]


def test_coordinators_set_the_frequencies_and_grid_workers_read_them(app_ctx, area):
    coordinator = _client(app_ctx, "coord")
    form = {f"every_days-{group}": days for group, days in (
        ("low_income", "30"), ("disabled", "14"), ("elderly_alone", "7"), ("childless_elderly", "7"),
        ("hardship", "30"))}
    url = f"/visits/frequencies?community_id={area.community.id}"
    saved = post(coordinator, url, form, url)
    assert saved.status_code == 302
    assert [(f.group.value, f.every_days) for f in db.session.scalars(select(VisitFrequency))] == [("disabled", 14)]
    refused = post(coordinator, url, {**form, "every_days-hardship": "0"}, url)
    assert refused.status_code == 422 and 'aria-invalid="true"' in text_of(refused)
    worker = text_of(_client(app_ctx, "gridworker").get(url))
    assert 'name="every_days-disabled"' not in worker and "已调整" in worker
