"""How a request proves who it is: session cookie (pages) or bearer token (API); how often a login may fail."""
from contextlib import ExitStack

from flask import Flask, g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from ..errors import DomainError, Forbidden
from ..extensions import csrf, db, login_manager
from ..pii import Output
from . import service
from .models import User
from .policy import current_actor

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The session's user, unless their sessions ended since it began (logout, a new password)."""
    user_id, _, generation = session_id.partition(":")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or generation != str(user.session_generation):
        return None
    return user


@login_manager.request_loader
def load_user_from_token(req) -> User | None:
    header = req.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    user = service.user_for_token(header[7:].strip())
    if user is not None:
        g.token_auth = True
        if db.session.dirty:
            db.session.commit()  # keep last_used_at even if the request later fails
    return user


def identify_request() -> None:
    """Record the actor for the audit log; every /api/v1 call needs a user, and its answer is written for them.

    Cookie sessions must also send the CSRF token to write through the API;
    bearer tokens cannot be sent by a foreign page, so they need none.
    """
    if current_user.is_authenticated:
        g.actor_id = current_user.id
    if not request.path.startswith("/api/v1"):
        return
    if not current_user.is_authenticated:
        raise Unauthorized(_l("Authentication required: send 'Authorization: Bearer <token>' or log in."))
    if request.method not in SAFE_METHODS and not g.get("token_auth"):
        csrf.protect()
    g.output_context = ExitStack()
    g.output_context.enter_context(Output({"actor": current_actor()}))  # masking in the schemas (pii.py)


def leave_output_context(_error=None) -> None:
    """The request's schema context ends with it (a worker thread serves other requests next)."""
    stack = g.pop("output_context", None)
    if stack is not None:
        stack.close()


def init_app(app: Flask) -> None:
    login_manager.login_view = "views.login"
    login_manager.login_message = None
    app.before_request(identify_request)
    app.teardown_request(leave_output_context)

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError):
        from ..errors import handle_domain_error

        return handle_domain_error(Forbidden(
            _l("The form expired or was not sent from this site. Go back, reload the page and submit again."),
            {"csrf_token": [error.description]}, code="csrf_failed"))
