"""家门口 jiamenkou: volunteer and service-exchange scheduling for urban communities."""
from pathlib import Path

from flask import Flask, has_request_context, request, session
from flask_babel import get_locale
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix

from . import audit, jobs, security_headers
from .config import BaseConfig, engine_options, settings_from_env
from .errors import register_error_handlers
from .jsonio import JSONProvider
from .validation import refuse_long_urls, reject_control_characters
from .extensions import api, babel, csrf, db, limiter, login_manager, migrate


def select_locale() -> str:
    """Pages: zh-CN first, English when the user picked it (or only accepts it).

    The API answers its messages in the language its client asks for
    (``Accept-Language``), English when it names none: clients test the
    stable ``error`` code, people read the message. Outside a request
    (the command line, job workers) texts are English, like the logs.
    """
    if not has_request_context():
        return "en"
    if request.path.startswith("/api/"):
        asked = request.accept_languages.best_match(["en", "zh-CN", "zh"])
        return "zh_CN" if asked in ("zh-CN", "zh") else "en"
    chosen = session.get("lang")
    if chosen in BaseConfig.LANGUAGES:
        return chosen
    return "en" if request.accept_languages.best_match(["zh-CN", "zh", "en"]) == "en" else "zh_CN"


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.before_request(refuse_long_urls)  # first: nothing reads a query the app will not serve
    app.json = JSONProvider(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_object(BaseConfig)
    app.config.update(settings_from_env(app.instance_path))
    if config:
        app.config.update(config)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config))
    if app.config.get("PROXY_COUNT"):
        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

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
    security_headers.init_app(app)
    app.before_request(reject_control_characters)

    from . import accounts, api_docs, certificates, cli, holidays, notifications, people, places, points, portal, pwa
    from . import reports, roster, service_requests, visits
    from . import views

    views.init_app(app)  # the shared page helpers and menu, before the domains add their entries
    for domain in (accounts, holidays, places, people, roster, notifications, points, certificates, service_requests,
                   visits, reports, portal):
        domain.init_app(app)
    app.register_blueprint(api_docs.bp)
    api_docs.declare_security(api, app.config["SESSION_COOKIE_NAME"])
    app.register_blueprint(pwa.bp)
    cli.init_app(app)

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
