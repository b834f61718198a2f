"""Server-rendered pages through the Flask test client, as a browser would use them:
the CSRF token from the form, a login per client."""
import re

from tests.support.factories import DEFAULT_PASSWORD as PASSWORD

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def text_of(response) -> str:
    return response.get_data(as_text=True)


def csrf_token(client, path: str) -> str:
    """The token of the form on ``path`` (which must answer 200)."""
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code, text_of(page)[:2000])
    match = CSRF.search(text_of(page))
    assert match, "no CSRF token on " + path
    return match.group(1)


def logged_in(app, username: str):
    """A fresh browser-like client logged in as ``username``."""
    client = app.test_client()
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, text_of(response)
    return client


def post(client, path: str, data: dict, form_page: str):
    """Send a form as the page ``form_page`` would, with its CSRF token."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, form_page)})
