"""The app on the phone's home screen: a web app manifest, and a service worker that keeps
"my week" and "my bookings" readable without a connection (a volunteer on the stairwell of
an old building still sees where to go). No CDN: everything is served from here."""
from pathlib import Path

from flask import Blueprint, current_app, url_for
from flask_babel import gettext as _

bp = Blueprint("pwa", __name__)


@bp.get("/manifest.webmanifest")
def manifest():
    body = {
        "name": _("Jiamenkou · community volunteer service"),
        "short_name": _("Jiamenkou"),
        "start_url": url_for("views.home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#b3261e",
        "lang": "zh-CN",
        "icons": [{"src": url_for("static", filename="img/icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }
    response = current_app.json.response(body)
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/sw.js")
def service_worker():
    """Served from the root so that its scope is the whole site; never cached, so an update is seen at once."""
    script = (Path(current_app.static_folder) / "pwa" / "sw.js").read_text(encoding="utf-8")
    response = current_app.response_class(script, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response
