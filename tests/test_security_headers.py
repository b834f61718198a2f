"""Every response says what a browser may do with it: a strict Content-Security-Policy (no inline script or
style), no framing, no type sniffing (issue 14: none of these headers were sent)."""
import re
from pathlib import Path

import pytest

from volunteer_app.security_headers import CONTENT_SECURITY_POLICY

TEMPLATES = Path(__file__).resolve().parents[1] / "volunteer_app" / "templates"


def directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in policy.split(";"))}


@pytest.mark.parametrize("path", ["/login", "/api/v1/me", "/static/js/app.js", "/no-such-page", "/healthz",
                                  "/api/docs", "/sw.js"])
def test_every_response_carries_the_headers(client, path):
    with client.get(path) as response:  # static files stream: closed here
        headers = response.headers
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_the_policy_allows_nothing_inline_nor_framing():
    policy = directives(CONTENT_SECURITY_POLICY)
    assert policy["default-src"] == policy["script-src"] == policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY and "'unsafe-eval'" not in CONTENT_SECURITY_POLICY


def test_no_template_has_inline_script_handler_or_style():
    """What the policy would block: inline <script>, on…= handlers, style="" and javascript: URLs."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|\sstyle\s*=|javascript:", re.IGNORECASE)
    found = [f"{path.relative_to(TEMPLATES)}: {match.group(0)}" for path in TEMPLATES.rglob("*.html")
             for match in inline.finditer(path.read_text())]
    assert found == []
