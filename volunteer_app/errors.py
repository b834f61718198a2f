"""One JSON error shape for every API error: ``{"code", "message", "errors"}``.

Services raise the domain exceptions below (they know nothing of HTTP); the
handlers here turn them, and every werkzeug ``HTTPException``, into that shape.
Page requests (outside ``/api``) get a rendered error page instead.
"""
import re

from flask import current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_smorest import Api
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """Base of errors a service raises on purpose; ``status`` is its HTTP meaning.

    ``message`` and the texts in ``errors`` are written where the rule is, with
    ``lazy_gettext`` and named parameters (``_l("Needs %(needed)s points", needed=5)``),
    so each reader gets them in their own language: a page in the page's, the API in
    the one its client asks for. ``code`` is the stable name a client can test.
    """

    status = 400
    code = "invalid"

    def __init__(self, message, errors: dict | None = None, *, code: str | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        self.extra = extra
        if code:
            self.code = code


class InvalidInput(DomainError):
    """A field failed a business rule (422, names the field)."""

    status = 422
    code = "invalid_input"


class TooLarge(InvalidInput):
    """Input past a size the app serves (413), naming the limit."""

    status = 413
    code = "too_large"


class NotFound(DomainError):
    """Unknown id, or an id outside the caller's scope (we never tell which)."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    """Duplicate record, stale version or illegal state change (409)."""

    status = 409
    code = "conflict"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class UrlTooLong(DomainError):
    """A URL longer than the app serves (validation.MAX_URL_BYTES)."""

    status = 414
    code = "url_too_long"


def in_words(value):
    """Lazily translated texts (at any depth of a message or its field errors) as text in the reader's language."""
    if isinstance(value, LazyString):
        return str(value)
    if isinstance(value, dict):
        return {key: in_words(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [in_words(item) for item in value]
    return value


def error_body(code: int, message, errors: dict | None = None, *, error: str, **extra) -> dict:
    """The one error shape: HTTP ``code``, the stable ``error`` name, a ``message`` and per-field ``errors``."""
    body = {"code": code, "error": error, "message": in_words(message), "errors": in_words(errors or {})}
    body.update(in_words(extra))
    return body


def _flatten_webargs(messages: dict) -> dict:
    """webargs nests errors by location (``{"json": {"phone": [...]}}``); clients want fields."""
    flat: dict = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            for field, problems in fields.items():
                key = field if location in {"json", "form", "files"} else f"{location}.{field}"
                flat[key] = problems
        else:
            flat[location] = fields
    return flat


def wants_json() -> bool:
    return request.path.startswith("/api") or request.accept_mimetypes.best == "application/json"


class JsonErrorApi(Api):
    """flask-smorest ``Api`` whose error payloads use our one shape."""

    def handle_http_exception(self, error: HTTPException):
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or _flatten_webargs(data.get("messages") or {})
        message = data.get("message") or error.description or error.name
        if error.code == 422 and errors:
            message = "Invalid input: " + ", ".join(sorted(errors))
        headers = data.get("headers") or {}
        if not wants_json():
            return render_template("error.html", code=error.code, message=message), error.code, headers
        name = "invalid_input" if error.code == 422 else re.sub(r"\W+", "_", error.name.lower()).strip("_")
        return error_body(error.code, message, errors, error=name), error.code, headers


def handle_domain_error(error: DomainError):
    if not wants_json():
        return render_template("error.html", code=error.status, message=error.message), error.status
    response = jsonify(error_body(error.status, error.message, error.errors, error=error.code, **error.extra))
    response.status_code = error.status
    return response


def _rollback() -> None:
    """The failed transaction ends here (the app's Flask-SQLAlchemy session; this module sits below extensions)."""
    current_app.extensions["sqlalchemy"].session.rollback()


def handle_stale_write(error):
    """A concurrent request bumped the version between our read and our write."""
    _rollback()
    return handle_domain_error(Conflict(_l("The record was changed by someone else meanwhile; reload and retry."),
                                        {"version": [_l("stale")]}, code="stale_version"))


def handle_integrity_error(error):
    """A unique key lost a race to a concurrent insert (the service checked, then lost)."""
    _rollback()
    return handle_domain_error(Conflict(_l("A record with the same unique value was just created; reload and retry."),
                                        {"_schema": [str(error.orig).splitlines()[0][:200]]}, code="duplicate"))


#: SQLSTATEs of PostgreSQL's lock_timeout and statement_timeout; SQLite says "database is locked".
BUSY_SQLSTATES = {"55P03", "57014"}
RETRY_AFTER_S = 5


def handle_database_busy(error):
    """A lock held elsewhere outlasted DB_LOCK_TIMEOUT_MS (or a statement its timeout): 503, try again
    shortly; nothing was written. Any other operational error is a real failure (500)."""
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate not in BUSY_SQLSTATES and "database is locked" not in str(error.orig):
        raise error
    _rollback()
    body = error_body(503, _l("The data is busy elsewhere just now; please try again in a few seconds."),
                      error="database_busy")
    if not wants_json():
        response = current_app.make_response((render_template("error.html", code=503, message=body["message"]), 503))
    else:
        response = jsonify(body)
        response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def handle_refused_problem(error):
    """The solver refuses a problem built from the caller's input (an end 30 s after the start, a year
    it cannot represent): the caller's 422, not a server error."""
    _rollback()
    return handle_domain_error(InvalidInput(_l("The scheduling engine cannot take this: %(why)s", why=str(error)),
                                            {"_schema": [str(error)]}, code="problem_refused"))


def register_error_handlers(app) -> None:
    from sqlalchemy.exc import IntegrityError, OperationalError
    from sqlalchemy.orm.exc import StaleDataError

    from solver.model import ProblemError

    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(StaleDataError, handle_stale_write)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(ProblemError, handle_refused_problem)
    app.register_error_handler(OperationalError, handle_database_busy)
