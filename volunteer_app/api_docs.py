"""The API's document: how a caller proves who it is, and Swagger UI's files from the swagger-ui-bundle
package (/api/docs works offline)."""
from flask import Blueprint, send_from_directory
from flask_smorest import Api
from swagger_ui_bundle import swagger_ui_path

bp = Blueprint("api_docs", __name__)


def declare_security(api: Api, session_cookie: str) -> None:
    """The two ways in, named by the document's global ``security`` (config.API_SPEC_OPTIONS)."""
    api.spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer",
        "description": "A token from POST /api/v1/tokens (or `flask token create`); no CSRF token needed."})
    api.spec.components.security_scheme("sessionCookie", {
        "type": "apiKey", "in": "cookie", "name": session_cookie,
        "description": "The pages' login session; writes must also send the X-CSRFToken header."})


@bp.get("/api/swagger-ui/<path:filename>")
def swagger_ui_asset(filename: str):
    return send_from_directory(swagger_ui_path, filename, max_age=86400)
