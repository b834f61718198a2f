"""The TC3-HMAC-SHA256 signer against Tencent Cloud's worked example, and against a second, independent
reading of the documented steps (a signer checked only against itself can be wrong the same way twice)."""
import hashlib
import hmac

from volunteer_app.notifications import tc3

# The example of Tencent Cloud API 3.0 "签名方法 v3": CVM DescribeInstances in ap-guangzhou, the documentation's
# placeholder credentials (literally with the asterisks), timestamp 1551113065 (2019-02-25 UTC) and this payload.
DOC_ID, DOC_KEY = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******", "Gu5t9xGARNpq86cd98joQYCN3*******"
DOC_TIMESTAMP, DOC_HOST = 1551113065, "cvm.tencentcloudapi.com"
DOC_PAYLOAD = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'


def test_the_documented_worked_example():
    canonical = tc3.canonical_request(DOC_HOST, DOC_PAYLOAD)
    assert canonical == ("POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\n"
                         "content-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064")
    to_sign = tc3.string_to_sign(DOC_TIMESTAMP, "cvm", canonical)
    assert to_sign == ("TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"
                       "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031")
    assert tc3.authorization(DOC_ID, DOC_KEY, "cvm", DOC_HOST, DOC_PAYLOAD, DOC_TIMESTAMP) == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, "
        "SignedHeaders=content-type;host, "
        "Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c")


def reference_signature(secret_key: str, service: str, host: str, payload: bytes, timestamp: int) -> str:
    """The documented steps written out again, in one piece, without the module's helpers."""
    import datetime

    day = datetime.datetime.fromtimestamp(timestamp, datetime.UTC).date().isoformat()
    request = "POST\n/\n\n" + "content-type:application/json; charset=utf-8\n" + f"host:{host}\n" + "\n" + \
        "content-type;host\n" + hashlib.sha256(payload).hexdigest()
    to_sign = "TC3-HMAC-SHA256\n" + str(timestamp) + "\n" + f"{day}/{service}/tc3_request\n" + \
        hashlib.sha256(request.encode()).hexdigest()
    key = ("TC3" + secret_key).encode()
    for part in (day, service, "tc3_request"):
        key = hmac.new(key, part.encode(), "sha256").digest()
    return hmac.new(key, to_sign.encode(), "sha256").hexdigest()


def test_a_send_sms_request_matches_the_reference_reading():
    payload = '{"PhoneNumberSet": ["+8613900000001"], "SignName": "家门口", "TemplateParamSet": ["明天 8:00"]}'
    body, timestamp = payload.encode("utf-8"), 1796068800  # 2026-11-30 20:00 UTC, 12-01 in China
    header = tc3.authorization("AKIDexample", "a-key", "sms", "sms.tencentcloudapi.com", body, timestamp)
    assert header.endswith("Signature=" + reference_signature("a-key", "sms", "sms.tencentcloudapi.com", body,
                                                                timestamp))
    assert "/2026-11-30/sms/tc3_request" in header  # the UTC date of the timestamp, not the local one
