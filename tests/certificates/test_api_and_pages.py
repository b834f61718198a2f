"""The certificates through the API and the pages: apply, accept, issue, download the PDF, export the
register, and check the public verification page (signed number, tampering, revocation)."""
import io
import re

from openpyxl import load_workbook

from tests.support.certificates import PERIOD
from tests.support.pages import logged_in, post, text_of
from volunteer_app.certificates import documents, service
from volunteer_app.certificates.models import Certificate
from volunteer_app.certificates.views import VERIFY_LIMIT
from volunteer_app.extensions import db

BODY = {"period_start": PERIOD[0].isoformat(), "period_end": PERIOD[1].isoformat(), "purpose": "升学"}


def issue_through_api(area, api_as):
    volunteer, coordinator = api_as(area.users["volunteer"]), api_as(area.users["coordinator"])
    applied = volunteer.post("/certificates", json=BODY)
    assert applied.status_code == 201, applied.json
    assert applied.json["state"] == "applied" and applied.json["number"] is None
    accepted = coordinator.post(f"/certificates/{applied.json['id']}/accept", json={"version": applied.json["version"]})
    assert accepted.status_code == 200 and accepted.json["state"] == "accepted"
    issued = coordinator.post(f"/certificates/{applied.json['id']}/issue",
                              json={"version": accepted.json["version"], "note": "特此证明"})
    assert issued.status_code == 200, issued.json
    return volunteer, coordinator, issued.json


def test_apply_accept_issue_download_and_export_the_register(area, api_as):
    volunteer, coordinator, body = issue_through_api(area, api_as)
    assert body["number"] == "WB-000001" and body["facts"]["total_hours"] == "4.2"
    assert body["facts"]["volunteer"]["id_number"] == "1101**********002X"
    assert re.search(r"/certificates/verify/WB-000001\?s=[0-9a-f]{20}$", body["verify_url"])
    again = coordinator.post(f"/certificates/{body['id']}/issue", json={"version": body["version"]})
    assert again.status_code == 409 and again.json["error"] == "wrong_state"
    assert volunteer.post(f"/certificates/{body['id']}/revoke",
                          json={"version": body["version"], "reason": "x"}).status_code == 403
    pdf = volunteer.get(f"/certificates/{body['id']}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    assert [c["number"] for c in volunteer.get("/certificates").json["items"]] == ["WB-000001"]

    corrected = coordinator.post(f"/certificates/{body['id']}/correct",
                                 json={"version": body["version"], "reason": "漏记", "note": "更正"})
    assert corrected.status_code == 201 and corrected.json["number"] == "WB-000002"
    register = coordinator.get("/certificates/register.xlsx", query_string={"community_id": area.community.id})
    assert register.status_code == 200
    rows = list(load_workbook(io.BytesIO(register.data)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("证明编号", "出具日期", "志愿者")
    assert [(r[0], r[2], r[5], r[8], r[12], r[15], r[16]) for r in rows[1:]] == [
        ("WB-000001", "张伟", "1101**********002X", 4.2, "已撤销", "WB-000002", None),
        ("WB-000002", "张伟", "1101**********002X", 4.2, "已出具", None, "WB-000001")]


def test_the_issuer_is_set_and_read_through_the_api(area, api_as):
    coordinator = api_as(area.users["coordinator"])
    url = f"/communities/{area.community.id}/certificate-issuer"
    read = coordinator.get(url).json
    assert read["name"] == "维北社区居民委员会" and read["prefix"] == "WB"
    changed = coordinator.put(url, json={"name": "维北社区党群服务中心", "person_in_charge": "王书记",
                                         "contact": "010-1", "prefix": "WB", "version": read["version"]})
    assert changed.status_code == 200 and changed.json["person_in_charge"] == "王书记"
    bad = coordinator.put(url, json={"name": "x", "person_in_charge": "y", "contact": "z", "prefix": "wb-1"})
    assert bad.status_code == 422 and "prefix" in str(bad.json["errors"])


def test_the_public_verification_page(area, api_as, client):
    _volunteer, coordinator, body = issue_through_api(area, api_as)
    url = body["verify_url"].split("localhost", 1)[1]
    page = client.get(url)
    assert page.status_code == 200
    text = text_of(page)
    assert "WB-000001" in text and "张伟" in text and "4.2" in text and "1101**********002X" in text
    assert 'id="c-valid"' in text and "维北社区居民委员会" in text
    tampered = client.get(url.replace("WB-000001", "WB-000002"))
    assert tampered.status_code == 404 and 'id="c-invalid"' in text_of(tampered) and "张伟" not in text_of(tampered)
    assert client.get("/certificates/verify/WB-000001").status_code == 404  # the number alone
    coordinator.post(f"/certificates/{body['id']}/revoke", json={"version": body["version"], "reason": "信息有误"})
    revoked = text_of(client.get(url))
    assert 'id="c-revoked"' in revoked and 'id="c-valid"' not in revoked


def test_the_pdf_says_what_the_facts_say(area, api_as, app):
    _volunteer, _coordinator, body = issue_through_api(area, api_as)
    record = db.session.get(Certificate, body["id"])
    with app.test_request_context():
        first, second = (documents.certificate_pdf(record, invariant=True) for _ in range(2))
        payload = documents.QrCode(service.verify_url(record.number)).payload
    assert first == second and first.startswith(b"%PDF-") and first.count(b"/Type /Page\n") == 1
    assert payload.endswith("/certificates/verify/WB-000001?s=" + service.signature("WB-000001"))
    assert b"STSong-Light" in first and b"/FontFile" not in first  # the viewer's CJK font, nothing embedded


def test_a_volunteer_applies_on_the_phone_page_and_the_coordinator_issues_on_hers(app, area):
    volunteer = logged_in(app, "vol")
    applied = post(volunteer, "/certificates/mine", {**BODY, "purpose": ""}, "/certificates/mine")
    assert applied.status_code == 302
    mine = text_of(volunteer.get("/certificates/mine"))
    assert "2026-10-01" in mine and "已申请" in mine
    record = db.session.query(Certificate).one()
    coordinator = logged_in(app, "coord")
    page = text_of(coordinator.get(f"/certificates/{record.id}"))
    assert "4.2" in page and "敬老院陪护" in page and "只排了班" not in page  # the preview, from the records
    issued = post(coordinator, f"/certificates/{record.id}/issue", {"version": record.version, "note": ""},
                  f"/certificates/{record.id}")
    assert issued.status_code == 302
    assert "WB-000001" in text_of(volunteer.get("/certificates/mine"))
    pdf = volunteer.get(f"/certificates/{record.id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    stale = post(coordinator, f"/certificates/{record.id}/revoke", {"version": record.version, "reason": "x"},
                 f"/certificates/{record.id}")
    assert stale.status_code == 409
    assert coordinator.get("/certificates/issuer").status_code == 200
    assert volunteer.get("/certificates").status_code == 403


def test_the_verification_page_is_rate_limited_per_address(area, client):
    """Guessing signatures is bounded: past the limit an address gets 429, whatever it asks."""
    allowed = int(VERIFY_LIMIT.split()[0])
    statuses = [client.get(f"/certificates/verify/WB-000001?s={n:020x}").status_code for n in range(allowed + 1)]
    assert statuses[:allowed] == [404] * allowed and statuses[-1] == 429


def test_a_correction_on_the_page_keeps_the_period_left_blank_and_asks_for_a_reason(app, area, api_as):
    _volunteer, _coordinator, body = issue_through_api(area, api_as)
    coordinator = logged_in(app, "coord")
    page = f"/certificates/{body['id']}"
    refused = post(coordinator, f"{page}/correct", {"version": body["version"], "period_start": "", "reason": ""}, page)
    assert refused.status_code == 422 and 'id="form-correct"' in text_of(refused)
    done = post(coordinator, f"{page}/correct", {"version": body["version"], "period_start": "", "period_end": "",
                                                "reason": "漏记"}, page)
    assert done.status_code == 302
    replacement = db.session.query(Certificate).filter_by(number="WB-000002").one()
    assert (replacement.period_start, replacement.period_end) == PERIOD
