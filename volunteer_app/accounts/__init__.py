"""Identity: users, roles and scopes, how a request proves who it is, and the one access policy.

Every domain stands on it, so it imports none of them (tables of places and people are
looked up by name where a scope needs them); account pages and administration are ``portal``.
"""
from flask import Flask


def init_app(app: Flask) -> None:
    """Authenticate every request; register the roles' labels."""
    from . import auth, labels  # noqa: F401  (labels registers its tables)

    auth.init_app(app)
