"""The front door: login, logout, the language switch, the coordinator's home and "my profile"."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..extensions import db
from ..people import service as people
from ..people.models import Resident, Volunteer
from ..places import service as places
from ..places.models import Building, Community, Grid, Station
from ..places.schemas import PlaceQuery
from .. import todo
from ..resources import paginate
from ..notifications import service as notifications
from ..notifications.schemas import ChannelsSchema
from ..people.schemas import RankingConsentIn
from ..accounts.policy import current_actor
from ..views import counts_by_community, load_query, names_by_id, save
from ..accounts import service
from .login_limits import limit_logins_per_account, limit_logins_per_address

bp = Blueprint("views", __name__)

HOME_PAGE_SIZE = 50


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=128)])


def _local_target(url: str | None) -> str | None:
    """Only ever redirect within this site (no open redirect through ?next= or Referer)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        if parts.netloc != request.host:
            return None
        url = parts.path + ("?" + parts.query if parts.query else "")
    if not url.startswith("/") or url.startswith("//") or "\\" in url:
        return None
    return url


@bp.route("/login", methods=["GET", "POST"])
@limit_logins_per_address
@limit_logins_per_account
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("views.home"))
    form = LoginForm()
    error = None
    if request.method == "POST":
        if form.validate():
            user = service.authenticate(form.username.data, form.password.data)
            if user is not None:
                db.session.commit()
                login_user(user)
                return redirect(_local_target(request.args.get("next")) or url_for("views.home"))
            error = _("Wrong username or password.")
        else:
            error = _("Enter your username and password.")
    return render_template("login.html", form=form, error=error)


@bp.post("/logout")
@login_required
def logout():
    service.end_sessions(current_user)  # a copy of this session's cookie must not outlive the logout
    db.session.commit()
    logout_user()
    return redirect(url_for("views.login"))


@bp.get("/lang/<code>")
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(_local_target(request.referrer) or url_for("views.home"))


@bp.get("/")
@login_required
def home():
    """Coordinators and admins: their communities with head counts. Volunteers: their week.
    Residents: the service menu (便民服务)."""
    if not current_actor().is_staff:
        if current_user.volunteer_id:
            return redirect(url_for("roster_pages.my_week_now"))
        if current_user.resident_id:
            return redirect(url_for("services_pages.home"))
        return redirect(url_for("views.profile"))
    args = load_query(PlaceQuery())
    args["per_page"] = HOME_PAGE_SIZE
    statement = places.communities.filtered(current_actor(), args).order_by(Community.code)
    page = paginate(statement, args["page"], args["per_page"])
    ids = [c.id for c in page["items"]]
    counts = {
        "volunteers": counts_by_community(people.volunteers, Volunteer, ids),
        "residents": counts_by_community(people.residents, Resident, ids),
        "stations": counts_by_community(places.stations, Station, ids),
        "grids": counts_by_community(places.grids, Grid, ids),
    }
    return render_template("home.html", page=page, counts=counts, q=args.get("q", ""), todo=todo.items_for(current_user))


@bp.post("/me/ranking-consent")
@login_required
def ranking_consent():
    """The one thing volunteers change on their own record: whether reports may name them."""
    data = {"show_in_rankings": bool(request.form.get("show_in_rankings")),
            "version": request.form.get("version", "").strip() or None}
    problems = save(RankingConsentIn(), data, lambda loaded: people.set_ranking_consent(
        current_actor(), loaded["show_in_rankings"], loaded["version"]))[1]
    if problems is not None:
        flash(_("Your record changed meanwhile; please choose again."), "error")
    elif data["show_in_rankings"]:
        flash(_("Thank you! Reports may now name you among the top volunteers."), "success")
    else:
        flash(_("Reports will not name you; your hours still count in the totals."), "success")
    return redirect(url_for("views.profile"))


@bp.post("/me/channels")
@login_required
def notify_channels():
    """The person's own choice of channels (短信 / 企业微信 / e-mail); the inbox always keeps a copy."""
    data = {"channels": request.form.getlist("channels"), "email": request.form.get("email", "").strip() or None}
    problems = save(ChannelsSchema(), data, lambda loaded: notifications.choose_channels(
        current_actor(), loaded["channels"], loaded["email"]))[1]
    if problems is not None:
        flash(_("Not saved: to get messages by e-mail, give a valid e-mail address."), "error")
    else:
        flash(_("Your choice of channels is saved."), "success")
    return redirect(url_for("views.profile", _anchor="channels"))


@bp.get("/me")
@login_required
def profile():
    """A volunteer's or resident's own record, read-only (the registry is for staff) but for ranking consent."""
    volunteer = db.session.get(Volunteer, current_user.volunteer_id) if current_user.volunteer_id else None
    resident = db.session.get(Resident, current_user.resident_id) if current_user.resident_id else None
    places_by_id = {
        "community": names_by_id(Community, [r.community_id for r in (volunteer, resident) if r]),
        "grid": names_by_id(Grid, [r.grid_id for r in (volunteer, resident) if r]),
        "building": names_by_id(Building, [r.building_id for r in (volunteer, resident) if r]),
    }
    report = volunteer.party_report if volunteer is not None else None
    progress = people.yearly_progress(report) if report is not None else None
    stations = names_by_id(Station, [p.station_id for p in report.claimed_posts]) if report is not None else {}
    return render_template("profile.html", volunteer=volunteer, resident=resident, places=places_by_id,
                           report=report, progress=progress, stations=stations,
                           configured=[c.name for c in notifications.configured_channels()],
                           chosen=notifications.chosen_channels(current_user))
