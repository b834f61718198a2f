"""Which days are working days: official holidays and 调休, the package's and the admin's."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's API."""
    from ..extensions import register_api
    from . import api

    register_api(app, api.blp)
