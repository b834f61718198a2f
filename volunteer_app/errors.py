"""One JSON error shape for every API error: ``{"code", "message", "errors"}``.

Services raise the domain exceptions below (they know nothing of HTTP); the
handlers here turn them, and every werkzeug ``HTTPException``, into that shape.
Page requests (outside ``/api``) get a rendered error page instead.
"""
from flask import current_app, jsonify, render_template, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """Base of errors a service raises on purpose; ``status`` is its HTTP meaning."""

    status = 400

    def __init__(self, message: str, errors: dict | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        self.extra = extra


class InvalidInput(DomainError):
    """A field failed a business rule (422, names the field)."""

    status = 422


class NotFound(DomainError):
    """Unknown id, or an id outside the caller's scope (we never tell which)."""

    status = 404


class Conflict(DomainError):
    """Duplicate record, stale version or illegal state change (409)."""

    status = 409


class Forbidden(DomainError):
    status = 403


def error_body(code: int, message: str, errors: dict | None = None, **extra) -> dict:
    body = {"code": code, "message": message, "errors": errors or {}}
    body.update(extra)
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
        return error_body(error.code, message, errors), error.code, headers


def handle_domain_error(error: DomainError):
    if not wants_json():
        return render_template("error.html", code=error.status, message=error.message), error.status
    response = jsonify(error_body(error.status, error.message, error.errors, **error.extra))
    response.status_code = error.status
    return response


def _rollback() -> None:
    """The failed transaction ends here (the app's Flask-SQLAlchemy session; this module sits below extensions)."""
    current_app.extensions["sqlalchemy"].session.rollback()


def handle_stale_write(error):
    """A concurrent request bumped the version between our read and our write."""
    _rollback()
    return handle_domain_error(Conflict("The record was changed by someone else meanwhile; reload and retry",
                                        {"version": ["stale"]}))


def handle_integrity_error(error):
    """A unique key lost a race to a concurrent insert (the service checked, then lost)."""
    _rollback()
    return handle_domain_error(Conflict("A record with the same unique value was just created; reload and retry",
                                        {"_schema": [str(error.orig).splitlines()[0][:200]]}))


def register_error_handlers(app) -> None:
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm.exc import StaleDataError

    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(StaleDataError, handle_stale_write)
    app.register_error_handler(IntegrityError, handle_integrity_error)
