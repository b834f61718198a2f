"""How many failed logins are let through (per address and per account, and the owner is told), and how many
login codes are sent (per number and per address)."""
from flask import current_app, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import User
from ..clock import now_local
from ..extensions import db, limiter
from ..notifications.service import Note, notify
from .phone_login import normalise_phone

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
    user = db.session.scalar(select(User).where(User.username == _attempted_username()))
    if user is not None:
        notify([user], Note("login_blocked", _l("Logins to your account are paused after many failures"),
                            _l("Someone kept logging in to your account with a wrong password, so its logins are "
                               "paused for a while. If it was not you, ask the administrator to change your "
                               "password."), "/me"),
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

# Codes by SMS: every request counts, for a number nobody has as for a known one (the answers must not differ),
# per number (LOGIN_CODE_NUMBER_LIMIT: one phone is not flooded) and per address (LOGIN_CODE_ADDRESS_LIMIT: one
# client does not walk the numbers). Wrong codes count as failed logins per address, like wrong passwords.


def _asked_number() -> str:
    typed = request.form.get("phone", "")
    return "number:" + (normalise_phone(typed) or typed[:20])


limit_codes_per_number = limiter.limit(
    lambda: current_app.config["LOGIN_CODE_NUMBER_LIMIT"], key_func=_asked_number, methods=["POST"],
    error_message=lambda: gettext("Too many codes were asked for this number. Please wait an hour, then try again, "
                                  "or ask your coordinator for a login QR code."))
limit_codes_per_address = limiter.limit(
    lambda: current_app.config["LOGIN_CODE_ADDRESS_LIMIT"], methods=["POST"],
    error_message=lambda: gettext("Too many codes were asked from your network. Please wait an hour, then try "
                                  "again."))
limit_code_logins_per_address = limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], deduct_when=_failed,
    error_message=lambda: gettext("Too many failed logins from your network. Please wait a minute, then try again."))
