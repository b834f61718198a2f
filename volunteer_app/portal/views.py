"""The front door: login (password, phone code, QR code), logout, the language switch, the coordinator's home,
"my profile", and the coordinators' login QR codes."""
from datetime import timedelta
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
from ..accounts.models import User
from ..places import service as places
from ..places.models import Building, Community, Grid, Station
from ..places.schemas import PlaceQuery
from .. import todo
from ..resources import paginate
from ..notifications import service as notifications
from ..notifications.schemas import ChannelsSchema
from ..people.schemas import RankingConsentIn
from ..accounts.policy import current_actor
from ..views import RECORD_ID, counts_by_community, load_query, names_by_id, qr_svg, save, staff_required
from ..accounts import login_codes, service
from ..errors import DomainError, InvalidInput, wants_json
from ..models_base import utcnow
from ..pii import mask_phone
from . import phone_login
from .login_limits import (
    limit_code_logins_per_address, limit_codes_per_address, limit_codes_per_number, limit_logins_per_account,
    limit_logins_per_address,
)

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
    return render_template("login.html", form=form, error=error, phone_login=phone_login.code_delivery())


# --- logging in by phone number and by QR code -------------------------------------------------------------------

PHONE_KEY, CHOICES_KEY = "login_phone", "login_choices"
#: How long the owner of a number several accounts share has, once the code proved it, to pick one.
CHOICE_WINDOW = timedelta(minutes=5)


def _finish_login(user):
    """Log ``user`` in (their session carries their session generation, like a password login's)."""
    user.last_login_at = utcnow()
    db.session.commit()
    session.pop(PHONE_KEY, None)
    session.pop(CHOICES_KEY, None)
    login_user(user)
    return redirect(_local_target(request.args.get("next")) or url_for("views.home"))


def _shown_or_raised(error: DomainError, render):
    """A refusal on a page is shown on it; an API client (Accept: application/json) gets the error's JSON."""
    if wants_json():
        raise error
    return render(error), error.status


@bp.post("/login/phone")
@limit_codes_per_address
@limit_codes_per_number
def login_phone():
    """Send a login code to the number typed (or say the same as if one went, when nobody has it)."""
    typed = request.form.get("phone", "")
    try:
        phone = phone_login.parse_phone(typed)
        phone_login.send_code(phone)
        db.session.commit()
    except login_codes.TooSoon as error:
        db.session.rollback()
        session[PHONE_KEY] = phone
        return _shown_or_raised(error, lambda e: _code_page(e.message))
    except DomainError as error:
        db.session.rollback()
        return _shown_or_raised(error, lambda e: render_template(
            "login.html", form=LoginForm(formdata=None), phone=typed, phone_error=e.message,
            phone_login=phone_login.code_delivery()))
    session[PHONE_KEY] = phone
    if wants_json():
        return {"phone": mask_phone(phone), "minutes": login_codes.code_minutes(),
                "resend_after_s": int(login_codes.RESEND_AFTER.total_seconds())}, 202
    return redirect(url_for("views.login_code", next=request.args.get("next")), 303)


def _code_page(error=None):
    return render_template("login/code.html", phone=session[PHONE_KEY], error=error, digits=login_codes.CODE_DIGITS,
                           minutes=login_codes.code_minutes(), delivery=phone_login.code_delivery(),
                           resend_after=int(login_codes.RESEND_AFTER.total_seconds()))


@bp.route("/login/code", methods=["GET", "POST"])
@limit_code_logins_per_address
def login_code():
    """Type the code the number got; the right one logs in (or, for a shared number, asks which account)."""
    if PHONE_KEY not in session:
        return redirect(url_for("views.login"))
    if request.method == "GET":
        return _code_page()
    try:
        accounts = phone_login.accounts_for_code(session[PHONE_KEY], request.form.get("code", "").strip())
    except InvalidInput as error:
        db.session.commit()  # the wrong try counts
        return _shown_or_raised(error, lambda e: _code_page(e.message))
    if len(accounts) == 1:
        return _finish_login(accounts[0])
    db.session.commit()
    session[CHOICES_KEY] = {"ids": [user.id for user in accounts],
                            "until": (utcnow() + CHOICE_WINDOW).timestamp()}
    return redirect(url_for("views.login_choose", next=request.args.get("next")), 303)


@bp.route("/login/choose", methods=["GET", "POST"])
def login_choose():
    """A number several accounts share: its owner, proven by the code, picks one (for five minutes)."""
    choices = session.get(CHOICES_KEY)
    if not choices or choices["until"] < utcnow().timestamp():
        session.pop(CHOICES_KEY, None)
        return redirect(url_for("views.login"))
    accounts = phone_login.describe([user for user_id in choices["ids"]
                                     if (user := db.session.get(User, user_id)) is not None and user.active])
    if request.method == "POST":
        chosen = next((a.user for a in accounts if str(a.user.id) == request.form.get("user_id")), None)
        if chosen is not None:
            return _finish_login(chosen)
    return render_template("login/choose.html", accounts=accounts)


@bp.route("/login/qr/<token>", methods=["GET", "POST"])
@limit_code_logins_per_address
def qr_login(token: str):
    """A coordinator's QR code: the page names the person, one tap logs them in (a link preview that only
    opens the page uses nothing up)."""
    try:
        if request.method == "POST":
            return _finish_login(login_codes.use_link(token))
        link = login_codes.valid_link(token)
    except DomainError as error:
        db.session.rollback()
        return _shown_or_raised(error, lambda e: render_template("login/qr.html", error=e.message))
    return render_template("login/qr.html", name=link.user.display_name)


@bp.get("/login-qr")
@staff_required
def login_qr_codes():
    """Residents and volunteers the coordinator manages, to make one of them a login QR code."""
    text = request.args.get("q", "").strip()[:32]
    return render_template("login/qr_people.html", people=phone_login.people_for_qr(current_actor(), text or None),
                           q=text, limit=phone_login.LIST_LIMIT, minutes=login_codes.link_minutes())


@bp.post(f"/login-qr/<{RECORD_ID}:user_id>")
@staff_required
def login_qr_new(user_id: int):
    """Make the QR code and show it once (the secret is not kept): to print or to hold up to the person's phone."""
    plain, link = phone_login.create_login_qr(current_actor(), user_id)
    db.session.commit()
    url = phone_login.qr_login_url(plain)
    [person] = phone_login.describe([link.user])
    return render_template("login/qr_print.html", person=person, url=url, svg=qr_svg(url), link=link,
                           minutes=login_codes.link_minutes())


@bp.get("/login-codes")
@login_required
def pending_login_codes():
    """Login codes awaiting use; in development mode (no SMS) with their digits (admins)."""
    return render_template("login/pending_codes.html", codes=phone_login.pending_codes(current_actor()),
                           delivery=phone_login.code_delivery(), max_tries=login_codes.MAX_TRIES)


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
    return render_template("home.html", page=page, counts=counts, q=args.get("q", ""), todo=todo.items_for(current_actor()))


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
    """The person's own choice of channels (短信 / 企业微信 / e-mail); the inbox always keeps a copy. Staff give
    their mobile here too (everyone else's is on their record)."""
    data = {"channels": request.form.getlist("channels"), "email": request.form.get("email", "").strip() or None}
    if current_actor().is_staff:
        data["phone"] = request.form.get("phone", "").strip() or None
    problems = save(ChannelsSchema(), data, lambda loaded: notifications.choose_channels(
        current_actor(), loaded["channels"], loaded["email"], loaded.get("phone", notifications.KEEP)))[1]
    if problems is not None and "phone" in problems.errors:
        flash(_("Not saved: enter your mobile number as its 11 digits."), "error")
    elif problems is not None:
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
