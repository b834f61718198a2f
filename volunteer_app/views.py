"""Registers the page blueprints of every domain."""
from flask import Flask


def init_app(app: Flask) -> None:
    from .accounts.views import bp as accounts_pages

    app.register_blueprint(accounts_pages)
