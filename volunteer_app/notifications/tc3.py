"""Tencent Cloud API 3.0 request signing (TC3-HMAC-SHA256), as its "签名方法 v3" page lays it out.

Kept apart from the SMS sender so the signature can be checked step by step
against the documentation's worked example, and so the test provider can
verify requests with it.
"""
import hashlib
import hmac
from datetime import datetime, timezone

ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNED_HEADERS = "content-type;host"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def utc_date(timestamp: int) -> str:
    """The credential scope's date is the UTC date of the request's timestamp."""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d")


def canonical_request(host: str, payload: bytes, content_type: str = CONTENT_TYPE) -> str:
    """POST to ``/`` with no query string, signing the content type and host headers."""
    headers = f"content-type:{content_type.lower()}\nhost:{host.lower()}\n"
    return "\n".join(("POST", "/", "", headers, SIGNED_HEADERS, sha256_hex(payload)))


def string_to_sign(timestamp: int, service: str, canonical: str) -> str:
    scope = f"{utc_date(timestamp)}/{service}/tc3_request"
    return "\n".join((ALGORITHM, str(timestamp), scope, sha256_hex(canonical.encode("utf-8"))))


def signature(secret_key: str, timestamp: int, service: str, to_sign: str) -> str:
    """HMAC chain: "TC3"+key → date → service → "tc3_request", then the string to sign, hex-encoded."""
    key = _hmac(("TC3" + secret_key).encode("utf-8"), utc_date(timestamp))
    key = _hmac(_hmac(key, service), "tc3_request")
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization(secret_id: str, secret_key: str, service: str, host: str, payload: bytes, timestamp: int,
                  content_type: str = CONTENT_TYPE) -> str:
    """The ``Authorization`` header for a JSON POST of ``payload`` to ``host`` at ``timestamp``."""
    to_sign = string_to_sign(timestamp, service, canonical_request(host, payload, content_type))
    return (f"{ALGORITHM} Credential={secret_id}/{utc_date(timestamp)}/{service}/tc3_request, "
            f"SignedHeaders={SIGNED_HEADERS}, Signature={signature(secret_key, timestamp, service, to_sign)}")
