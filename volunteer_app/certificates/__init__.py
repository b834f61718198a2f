"""Volunteer service-record certificates (志愿服务记录证明): a volunteer applies for a certificate of a
period, the community accepts and issues it from the attended service records, numbered per issuer and
frozen once issued; a QR code on the PDF opens a public verification page."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's API, pages and menu entries."""
    from flask_babel import lazy_gettext as _l

    from ..accounts.models import Role
    from ..extensions import register_api
    from ..views import register_nav
    from . import api, labels, views  # noqa: F401  (labels registers its tables)

    register_api(app, api.blp)
    app.register_blueprint(views.bp)
    register_nav(app, "certificate_pages.mine", _l("My certificates"), {Role.volunteer}, order=-4,
                 active_prefix="certificate_pages.mine")
    register_nav(app, "certificate_pages.index", _l("Service certificates"), order=25, group="registers",
                 active_prefix="certificate_pages.")
