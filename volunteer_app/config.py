"""Settings read from the environment, with safe defaults for one laptop.

The embedded default is a SQLite file in the instance folder; a city
deployment only changes ``DATABASE_URL`` and ``REDIS_URL``.
"""
import json
import os
import secrets
from pathlib import Path


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs (the only driver we install)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def instance_secret_key(instance_path: str) -> str:
    """Read the instance's secret key, generating it on first run.

    No secret ever lives in the repository; each installation gets its own.
    """
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def env_list(name: str) -> list[str]:
    """A comma-separated list, e.g. ``NOTIFY_CHANNELS=sms,wecom``."""
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def notification_settings() -> dict:
    """The outside channels (see the README and docs/deploy.md); none is on unless ``NOTIFY_CHANNELS`` names it."""
    env = os.environ.get
    return {
        "NOTIFY_CHANNELS": env_list("NOTIFY_CHANNELS"),
        "NOTIFY_MAX_ATTEMPTS": int(env("NOTIFY_MAX_ATTEMPTS", "6")),
        "NOTIFY_RETRY_BASE_S": int(env("NOTIFY_RETRY_BASE_S", "60")),
        "NOTIFY_HTTP_TIMEOUT_S": float(env("NOTIFY_HTTP_TIMEOUT_S", "10")),
        "NOTIFY_IN_BACKGROUND": env_bool("NOTIFY_IN_BACKGROUND", True),
        "PUBLIC_BASE_URL": env("PUBLIC_BASE_URL", ""),
        "WECOM_WEBHOOK_PREFIX": env("WECOM_WEBHOOK_PREFIX", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key="),
        "WECOM_PER_MINUTE": int(env("WECOM_PER_MINUTE", "20")),
        "TENCENT_SMS_SECRET_ID": env("TENCENT_SMS_SECRET_ID"),
        "TENCENT_SMS_SECRET_KEY": env("TENCENT_SMS_SECRET_KEY"),
        "TENCENT_SMS_SDK_APP_ID": env("TENCENT_SMS_SDK_APP_ID"),
        "TENCENT_SMS_SIGN_NAME": env("TENCENT_SMS_SIGN_NAME"),
        "TENCENT_SMS_REGION": env("TENCENT_SMS_REGION", "ap-guangzhou"),
        "TENCENT_SMS_ENDPOINT": env("TENCENT_SMS_ENDPOINT", "https://sms.tencentcloudapi.com"),
        "TENCENT_SMS_PULL_STATUS": env_bool("TENCENT_SMS_PULL_STATUS", False),
        "SMS_TEMPLATES": json.loads(env("SMS_TEMPLATES") or "{}"),
        "SMS_PER_MINUTE": int(env("SMS_PER_MINUTE", "1")),
        "SMS_PER_DAY": int(env("SMS_PER_DAY", "10")),
        "SMTP_HOST": env("SMTP_HOST"),
        "SMTP_PORT": int(env("SMTP_PORT", "587")),
        "SMTP_USER": env("SMTP_USER"),
        "SMTP_PASSWORD": env("SMTP_PASSWORD"),
        "SMTP_FROM": env("SMTP_FROM"),
        "SMTP_STARTTLS": env_bool("SMTP_STARTTLS", True),
    }


def settings_from_env(instance_path: str) -> dict:
    default_db = "sqlite:///" + str(Path(instance_path) / "jiamenkou.db")
    redis_url = os.environ.get("REDIS_URL") or None
    return {
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(os.environ.get("DATABASE_URL", default_db)),
        "SECRET_KEY": os.environ.get("SECRET_KEY") or instance_secret_key(instance_path),
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "SESSION_COOKIE_SECURE": env_bool("SESSION_COOKIE_SECURE", False),
        # Failed logins (successful ones do not count): per client address, and per account with a stepped
        # back-off (a minute's pause after 5, an hour's after 20); see accounts/auth.py.
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "30 per minute"),
        "LOGIN_ACCOUNT_RATE_LIMIT": os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "5 per minute;20 per hour"),
        # Logging in by phone (residents and volunteers): a 6-digit SMS code lives LOGIN_CODE_MINUTES; codes
        # asked for one number (every request counts, known number or not) and from one address are limited;
        # a coordinator's login QR code works once within LOGIN_QR_MINUTES. See portal/phone_login.py.
        "LOGIN_CODE_MINUTES": int(os.environ.get("LOGIN_CODE_MINUTES", "5")),
        "LOGIN_CODE_NUMBER_LIMIT": os.environ.get("LOGIN_CODE_NUMBER_LIMIT", "5 per hour;10 per day"),
        "LOGIN_CODE_ADDRESS_LIMIT": os.environ.get("LOGIN_CODE_ADDRESS_LIMIT", "20 per hour"),
        "LOGIN_QR_MINUTES": int(os.environ.get("LOGIN_QR_MINUTES", "10")),
        # Reverse proxies in front that set X-Forwarded-For/-Proto/-Host: the client's address is then the one
        # they pass on (the login limits count per address), not the proxy's. 0: the app faces the clients.
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", "0")),
        "DEMO_PASSWORD": os.environ.get("DEMO_PASSWORD"),
        "ROSTER_TIME_LIMIT_S": float(os.environ.get("ROSTER_TIME_LIMIT_S", "20")),
        "ROSTER_SOLVER_WORKERS": int(os.environ.get("ROSTER_SOLVER_WORKERS", "2")),
        "ROSTER_JOBS_IN_BACKGROUND": env_bool("ROSTER_JOBS_IN_BACKGROUND", True),
        # A row lock held elsewhere (a long report, an admin's psql) must not stall every worker:
        # waiting longer than this answers 503 with Retry-After; no statement runs longer than the second.
        "DB_LOCK_TIMEOUT_MS": int(os.environ.get("DB_LOCK_TIMEOUT_MS", "5000")),
        "DB_STATEMENT_TIMEOUT_MS": int(os.environ.get("DB_STATEMENT_TIMEOUT_MS", "30000")),
        # Emergency call-outs: how far people are called unless the call-out says otherwise; how long a wave
        # has to bring enough acceptances before the next one; how many each wave calls per open place.
        "CALLOUT_RADIUS_M": int(os.environ.get("CALLOUT_RADIUS_M", "3000")),
        "CALLOUT_WAVE_MINUTES": int(os.environ.get("CALLOUT_WAVE_MINUTES", "10")),
        "CALLOUT_INVITES_PER_PLACE": int(os.environ.get("CALLOUT_INVITES_PER_PLACE", "3")),
        **notification_settings(),
    }


def engine_options(config: dict) -> dict:
    """Connection settings per database: PostgreSQL gets lock and statement timeouts, SQLite a busy timeout."""
    options = {"pool_pre_ping": True}
    lock_ms, statement_ms = config["DB_LOCK_TIMEOUT_MS"], config["DB_STATEMENT_TIMEOUT_MS"]
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options["connect_args"] = {"options": f"-c lock_timeout={lock_ms} -c statement_timeout={statement_ms}"}
    elif config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options["connect_args"] = {"timeout": lock_ms / 1000}
    return options


class BaseConfig:
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    JSON_AS_ASCII = False
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_CN": "中文", "en": "English"}
    ROSTER_JOB_GRACE_S = 120  # after time limit + this, a job with no result is marked failed
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    RATELIMIT_HEADERS_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None

    API_TITLE = "家门口 jiamenkou API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    # Every /api/v1 operation needs a caller: a bearer token, or a logged-in page session (which must also
    # send the CSRF token to write). The schemes are declared in api_docs.declare_security.
    API_SPEC_OPTIONS = {"security": [{"bearerAuth": []}, {"sessionCookie": []}]}
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    # Served by the app itself from the swagger-ui-bundle package: no CDN.
    OPENAPI_SWAGGER_UI_URL = "/api/swagger-ui/"
