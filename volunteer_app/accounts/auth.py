"""How a request proves who it is: session cookie (pages) or bearer token (API); how often a login may fail."""
from flask import Flask, current_app, g, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select

from ..clock import now_local
from ..errors import DomainError, Forbidden
from ..extensions import csrf, db, limiter, login_manager
from . import service
from .models import Role, User

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
    """Record the actor for the audit log; every /api/v1 call needs a user.

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


# --- login limits -----------------------------------------------------------------------------------------
# Only failed logins count, per address (LOGIN_RATE_LIMIT, against one client trying many accounts) and per
# account (LOGIN_ACCOUNT_RATE_LIMIT, stepped: a minute's pause, then an hour's). So an office behind one
# address logs in together at nine, and one client guessing one account's password blocks that account,
# not the office; the account's owner is told.


def _failed(response) -> bool:
    return response.status_code != 302  # a login that worked redirects


def _attempted_username() -> str:
    return request.form.get("username", "")[:64]


def _tell_the_owner(_limit) -> None:
    """The account's owner learns someone keeps failing to log in as them (once an hour at most)."""
    from ..notifications.service import Note, notify

    user = db.session.scalar(select(User).where(User.username == _attempted_username()))
    if user is not None:
        notify([user], Note("login_blocked", "您的账号多次登录失败，已暂停登录",
                            "有人多次用错误的密码登录您的账号，系统已暂时停止该账号的登录。"
                            "如果不是您本人，请联系管理员修改密码。", "/me"),
               dedupe=f"login_blocked:{now_local():%Y-%m-%dT%H}")
        db.session.commit()


limit_logins_per_address = limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], deduct_when=_failed,
    error_message=lambda: gettext("Too many failed logins from your network. Please wait a minute, then try again."))
limit_logins_per_account = limiter.limit(
    lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"], key_func=lambda: "account:" + _attempted_username(),
    methods=["POST"], deduct_when=_failed, on_breach=_tell_the_owner,
    error_message=lambda: gettext("Too many failed logins for this account. Please wait a few minutes, then try "
                                  "again; the account's owner has been told."))


def require_role(*roles: Role) -> None:
    if current_user.role not in roles:
        raise Forbidden(_l("Your role may not do this."))


def init_app(app: Flask) -> None:
    login_manager.login_view = "views.login"
    login_manager.login_message = None
    app.before_request(identify_request)

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError):
        from ..errors import handle_domain_error

        return handle_domain_error(Forbidden(
            _l("The form expired or was not sent from this site. Go back, reload the page and submit again."),
            {"csrf_token": [error.description]}, code="csrf_failed"))
