"""The one way the channels talk HTTP: a JSON POST with a timeout, answering the JSON reply."""
import json
import urllib.error
import urllib.request

from flask import current_app


class ProviderError(Exception):
    """The provider could not be reached or did not answer JSON (retried with backoff)."""


def post_json(url: str, body: bytes, headers: dict[str, str]) -> dict:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    timeout = current_app.config.get("NOTIFY_HTTP_TIMEOUT_S", 10)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        raise ProviderError(f"HTTP {exc.code} from provider") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise ProviderError(f"provider unreachable: {exc}") from exc
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ProviderError("provider answered something other than JSON") from exc
