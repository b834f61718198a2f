"""The OpenAPI document covers every endpoint, and a fuzzing client driven by it
(schemathesis) finds no server error."""
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from volunteer_app.accounts.models import Role


def test_every_api_route_is_documented_with_schemas(client):
    spec = client.get("/api/openapi.json").json
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops
                  if method in {"get", "post", "put", "patch", "delete"}}
    app = client.application
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)  # <int(min=1):id> -> {id}
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, (path, method)
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            creates = method == "post" and "get" in ops  # a collection; actions like .../resolve take no body
            if method in {"put", "patch"} or creates:
                assert "requestBody" in op, (path, method)
            if "requestBody" in op:
                assert all("schema" in c for c in op["requestBody"]["content"].values()), (path, method)
            if method == "get":
                assert "200" in op["responses"] and "content" in op["responses"]["200"], (path, method)


def test_the_document_declares_how_callers_authenticate(client):
    spec = client.get("/api/openapi.json").json
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["type"] == "http" and schemes["bearerAuth"]["scheme"] == "bearer"
    assert schemes["sessionCookie"] == {**schemes["sessionCookie"], "type": "apiKey", "in": "cookie",
                                        "name": client.application.config["SESSION_COOKIE_NAME"]}
    assert spec["security"] == [{"bearerAuth": []}, {"sessionCookie": []}]


class FreshContextApp:
    """Each fuzzed request in its own app context (own session), as in production."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        with self.app.app_context():
            return self.app(environ, start_response)


@pytest.fixture()
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", FreshContextApp(app))


@pytest.fixture()
def fuzz_admin(make_user, make_volunteer, make_station, make_resident, make_skill):
    """An admin, and one record of each kind for the fuzzer to hit."""
    make_skill(code="haircut")
    make_volunteer()
    make_station()
    make_resident()
    return make_user(role=Role.admin, pii=True)


def token_headers(user, tokens: dict) -> dict:
    """The admin's token; a new one after each case that may revoke tokens (DELETE /tokens/{id}),
    so a revoked token spoils no other case, while the rest do not pay for a new one each."""
    from volunteer_app.accounts.service import create_token
    from volunteer_app.extensions import db

    if "plain" not in tokens:
        tokens["plain"], _ = create_token(user)
        db.session.commit()
    return {"Authorization": f"Bearer {tokens['plain']}"}


@pytest.fixture()
def admin_tokens() -> dict:
    return {}


schema = schemathesis.pytest.from_fixture("api_schema")


# schemathesis' WSGI transport never closes responses, so file downloads would
# report an unclosed file from the transport (not from the app) at garbage collection.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@schema.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_fuzzing_finds_no_server_error(case, fuzz_admin, admin_tokens):
    from schemathesis.checks import not_a_server_error

    response = case.call(headers=token_headers(fuzz_admin, admin_tokens))
    if case.method.upper() == "DELETE" or "token" in case.path:
        admin_tokens.clear()  # this case may have revoked the token it used
    assert response.status_code != 401, (case.method, case.path, response.text[:200])
    case.validate_response(response, checks=[not_a_server_error])
