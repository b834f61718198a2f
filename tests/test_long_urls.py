"""A URL longer than the app serves answers 414 in the app's own words: the API's error shape, or a page
(issue 14: gunicorn's bare HTML 414 answered a 4,095-byte URL before the app saw it)."""
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from volunteer_app.validation import MAX_URL_BYTES

ROOT = Path(__file__).resolve().parent.parent


def url_of(path: str, length: int) -> str:
    return path + "?q=" + "x" * (length - len(path) - 3)


def test_an_api_url_over_the_limit_is_414_in_the_error_shape(admin_api):
    response = admin_api.get(url_of("/me", MAX_URL_BYTES + 1 - len("/api/v1")))
    assert response.status_code == 414
    assert response.json["error"] == "url_too_long" and list(response.json["errors"]) == ["url"]
    assert str(MAX_URL_BYTES) in response.json["message"]
    assert admin_api.get(url_of("/me", MAX_URL_BYTES - len("/api/v1"))).status_code == 200


def test_a_page_url_over_the_limit_is_a_414_page(client):
    response = client.get(url_of("/login", MAX_URL_BYTES + 1))
    assert response.status_code == 414 and response.mimetype == "text/html"
    assert str(MAX_URL_BYTES) in response.get_data(as_text=True)


def test_percent_encoding_counts_as_sent(client):
    """``%E7%8E%8B`` is nine bytes on the wire, one character once decoded."""
    response = client.get("/api/v1/volunteers?q=" + "%E7%8E%8B" * (MAX_URL_BYTES // 9 + 1))
    assert response.status_code == 414


@pytest.fixture()
def gunicorn_server(tmp_path):
    """The app under gunicorn with the project's gunicorn.conf.py, on loopback (nothing here reads the database)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}", "SECRET_KEY": "test", "REDIS_URL": ""}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--workers", "1",
                               "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
                              cwd=ROOT, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read().decode()[-2000:]
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(10)
        server.stderr.close()


def get(port: int, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def test_gunicorn_lets_the_app_answer_a_long_url(gunicorn_server):
    long = get(gunicorn_server, url_of("/api/v1/me", 6000))
    assert long.status == 414 and long.getheader("Content-Type") == "application/json"
    assert json.loads(long.body)["error"] == "url_too_long"
    assert get(gunicorn_server, url_of("/api/v1/me", MAX_URL_BYTES)).status == 401  # served: it asks who you are
