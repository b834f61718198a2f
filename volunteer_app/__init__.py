"""家门口 jiamenkou: volunteer and service-exchange scheduling for urban communities."""
from pathlib import Path

from flask import Flask, request, session
from flask_babel import get_locale
from sqlalchemy import text

from . import audit, jobs
from .config import BaseConfig, settings_from_env
from .errors import register_error_handlers
from .validation import reject_control_characters
from .extensions import api, babel, csrf, db, limiter, login_manager, migrate


def select_locale() -> str:
    """zh-CN first; English when the user picked it (or only accepts it)."""
    chosen = session.get("lang")
    if chosen in BaseConfig.LANGUAGES:
        return chosen
    return "en" if request.accept_languages.best_match(["zh-CN", "zh", "en"]) == "en" else "zh_CN"


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_object(BaseConfig)
    app.config.update(settings_from_env(app.instance_path))
    if config:
        app.config.update(config)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    csrf.init_app(app)
    limiter.init_app(app)
    api.init_app(app)
    audit.install()
    jobs.init_app(app)
    register_error_handlers(app)
    app.before_request(reject_control_characters)

    from .accounts import auth
    auth.init_app(app)

    from . import api_docs, cli, views
    from .points import reactions as points_reactions  # noqa: F401  (connects its receivers)
    from .service_requests import reactions as service_reactions
    from .accounts.api import blp as accounts_api
    from .people.api import blp as people_api
    from .people import transfer_views
    from .people.transfer_api import blp as transfer_api
    from .notifications.api import blp as notifications_api
    from .notifications import setup as notifications_setup
    from .places.api import blp as places_api
    from .points import cli as points_cli
    from .points.api import blp as points_api
    from .reports.api import blp as reports_api
    from .roster import feeds as roster_feeds
    from .roster.api import blp as roster_api
    from .service_requests.api import blp as service_requests_api

    for blueprint in (places_api, people_api, transfer_api, accounts_api, roster_api, notifications_api, points_api,
                      service_requests_api, reports_api):
        csrf.exempt(blueprint)  # API auth checks CSRF itself for cookie sessions
        api.register_blueprint(blueprint, url_prefix="/api/v1")
    app.register_blueprint(api_docs.bp)
    app.register_blueprint(roster_feeds.bp)
    views.init_app(app)
    app.register_blueprint(transfer_views.bp)
    cli.init_app(app)
    service_reactions.init_app(app)
    notifications_setup.init_app(app)  # channels, outbox and group-robot pages, to-do items, reactions
    points_cli.init_app(app)

    @app.get("/healthz")
    def healthz():
        """For the load balancer: is the database reachable?"""
        try:
            db.session.execute(text("SELECT 1"))
        except Exception as exc:  # any driver error means "not healthy"
            db.session.rollback()
            return {"status": "error", "database": "unreachable", "detail": exc.__class__.__name__}, 503
        return {"status": "ok", "database": "ok"}

    return app
