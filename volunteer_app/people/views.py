"""Registry pages of volunteers, in-office party members' reports (双报到) and residents.

Thin like the API: forms become the dict the ``*In`` schema loads, and the
service does the rest (scope, uniqueness, references).
"""
from datetime import date

from flask import Blueprint, render_template, url_for
from flask_babel import gettext as _

from ..places import service as places
from ..places.models import Building, Community, Grid, Station
from ..pii import mask_id_number, mask_phone, sees_pii
from ..views import (
    RECORD_ID, blank_to_none, form_rows, form_view, hhmm, load_query, names_by_id, rows_payload, saved_first,
    scoped_options, staff_required,
)
from . import schemas, service
from .models import DaySelector, HolidayMode, PriorityGroup, Skill, Volunteer, VolunteerStatus
from ..accounts.policy import current_actor

bp = Blueprint("people_pages", __name__)


def place_options() -> dict:
    """Communities, grids and buildings the caller may choose from."""
    return {
        "communities": scoped_options(places.communities, Community.code),
        "grids": scoped_options(places.grids, Grid.community_id, Grid.code),
        "buildings": scoped_options(places.buildings, Building.grid_id, Building.code),
    }


def place_names(records) -> dict:
    records = list(records)
    return {
        "community": names_by_id(Community, [r.community_id for r in records]),
        "grid": names_by_id(Grid, [getattr(r, "grid_id", None) for r in records]),
        "building": names_by_id(Building, [getattr(r, "building_id", None) for r in records]),
    }


def pii_values(obj) -> tuple[dict, dict]:
    """Phone and ID number for an edit form: full for PII viewers, else blank with a masked hint."""
    if obj is None:
        return {"phone": "", "id_number": ""}, {}
    if sees_pii(current_actor()):
        return {"phone": obj.phone, "id_number": obj.id_number or ""}, {}
    return {"phone": "", "id_number": ""}, {"phone": mask_phone(obj.phone), "id_number": mask_id_number(obj.id_number)}


def keep_hidden_pii(data: dict, values: dict, obj) -> None:
    """Without the PII permission a blank phone / ID number on an edit form means "unchanged"."""
    if obj is not None and not sees_pii(current_actor()):
        for key in ("phone", "id_number"):
            if not values.get(key):
                data.pop(key, None)


# --- volunteers ---------------------------------------------------------------------------

VOLUNTEER_FIELDS = ("name", "phone", "id_number", "community_id", "grid_id", "building_id", "lat", "lon",
                    "max_hours_per_week", "max_distance_m", "status", "holiday_mode", "joined_on", "version")
SLOT_FIELDS = ("days", "start", "end")
VOLUNTEER_FLAGS = ("is_party_member", "show_in_rankings")  # checkboxes


def volunteer_values(volunteer: Volunteer | None) -> dict:
    pii, _masked = pii_values(volunteer)
    if volunteer is None:
        return {"status": VolunteerStatus.active.value, "holiday_mode": HolidayMode.rest_day.value,
                "max_hours_per_week": "8", "max_distance_m": "2000", "joined_on": date.today().isoformat(),
                "skills": [], "availability": [], **{flag: False for flag in VOLUNTEER_FLAGS}, **pii}
    return {
        **pii,
        "name": volunteer.name,
        "community_id": str(volunteer.community_id),
        "grid_id": str(volunteer.grid_id),
        "building_id": str(volunteer.building_id or ""),
        "lat": str(volunteer.lat), "lon": str(volunteer.lon),
        "max_hours_per_week": str(volunteer.max_hours_per_week),
        "max_distance_m": str(volunteer.max_distance_m),
        "status": volunteer.status.value,
        "holiday_mode": volunteer.holiday_mode.value,
        "joined_on": volunteer.joined_on.isoformat(),
        **{flag: getattr(volunteer, flag) for flag in VOLUNTEER_FLAGS},
        "skills": [s.code for s in volunteer.skills],
        "availability": [{"days": s.days.value, "start": hhmm(s.start), "end": hhmm(s.end)}
                         for s in volunteer.availability],
        "version": str(volunteer.version),
    }


def volunteer_form_values(form) -> dict:
    values = {key: form.get(key, "").strip() for key in VOLUNTEER_FIELDS}
    values["skills"] = form.getlist("skills")
    values.update({flag: bool(form.get(flag)) for flag in VOLUNTEER_FLAGS})
    values["availability"] = form_rows(form, "availability", SLOT_FIELDS, significant=("start", "end"))
    return values


def volunteer_payload(values: dict, volunteer: Volunteer | None) -> dict:
    data = blank_to_none(values, ("name", "phone", "id_number", "community_id", "grid_id", "building_id",
                                  "max_hours_per_week", "max_distance_m", "status", "holiday_mode"))
    for key in ("lat", "lon", "joined_on"):  # blank: the service's default (home location, today)
        if values.get(key):
            data[key] = values[key]
    data["skills"] = values["skills"]
    data.update({flag: values[flag] for flag in VOLUNTEER_FLAGS})
    data["availability"] = rows_payload(values["availability"])
    keep_hidden_pii(data, values, volunteer)
    return data


def render_volunteer_form(volunteer, values, problems):
    return render_template(
        "volunteers/form.html", volunteer=volunteer, values=values, problems=problems,
        login_accounts=service.login_accounts(current_actor(), volunteer),
        masked=pii_values(volunteer)[1], skills=scoped_options(service.skills, Skill.code),
        day_options=[d.value for d in DaySelector], statuses=[s.value for s in VolunteerStatus],
        holiday_modes=[m.value for m in HolidayMode], **place_options(),
    )


@bp.get("/volunteers")
@staff_required
def volunteers():
    args = load_query(schemas.VolunteerQuery())
    page = saved_first(service.volunteers, service.volunteers.list(current_actor(), args))
    return render_template(
        "volunteers/list.html", page=page, args=args, names=place_names(page["items"]),
        skills=scoped_options(service.skills, Skill.code), statuses=[s.value for s in VolunteerStatus],
        **place_options(),
    )


@bp.route("/volunteers/new", methods=["GET", "POST"])
@staff_required
def volunteer_new():
    return volunteer_form(None)


@bp.route(f"/volunteers/<{RECORD_ID}:volunteer_id>/edit", methods=["GET", "POST"])
@staff_required
def volunteer_edit(volunteer_id: int):
    return volunteer_form(service.volunteers.get(current_actor(), volunteer_id))


def volunteer_form(volunteer):
    return form_view(
        service=service.volunteers, in_schema=schemas.VolunteerIn, obj=volunteer,
        values_for=volunteer_values, values_from_form=volunteer_form_values, payload=volunteer_payload,
        render=lambda values, problems: render_volunteer_form(volunteer, values, problems),
        saved_message=lambda v: _("Volunteer %(name)s saved.", name=v.name),
        next_url=lambda v: url_for("people_pages.volunteers"),
    )


# --- party-member reports -----------------------------------------------------------------

REPORT_FIELDS = ("volunteer_id", "work_unit", "party_organization", "community_id", "reported_on",
                 "yearly_target_hours", "version")
POST_FIELDS = ("station_id", "weekday", "start", "end")


def report_values(report) -> dict:
    if report is None:
        return {"reported_on": date.today().isoformat(), "yearly_target_hours": "20", "claimed_posts": []}
    return {
        "volunteer_id": str(report.volunteer_id),
        "work_unit": report.work_unit,
        "party_organization": report.party_organization,
        "community_id": str(report.community_id),
        "reported_on": report.reported_on.isoformat(),
        "yearly_target_hours": str(report.yearly_target_hours),
        "claimed_posts": [{"station_id": str(p.station_id), "weekday": str(p.weekday), "start": hhmm(p.start),
                           "end": hhmm(p.end)} for p in report.claimed_posts],
        "version": str(report.version),
    }


def report_form_values(form) -> dict:
    values = {key: form.get(key, "").strip() for key in REPORT_FIELDS}
    values["claimed_posts"] = form_rows(form, "claimed_posts", POST_FIELDS, significant=("station_id", "start", "end"))
    return values


def report_payload(values: dict, report) -> dict:
    data = blank_to_none(values, REPORT_FIELDS[:-1])
    if data["yearly_target_hours"] is None:
        data.pop("yearly_target_hours")
    data["claimed_posts"] = rows_payload(values["claimed_posts"])
    return data


def render_report_form(report, values, problems):
    return render_template(
        "party_reports/form.html", report=report, values=values, problems=problems,
        volunteers=scoped_options(service.volunteers, Volunteer.name, Volunteer.id),
        communities=scoped_options(places.communities, Community.code),
        stations=scoped_options(places.stations, Station.community_id, Station.code),
        progress=service.yearly_progress(report) if report is not None else None,
    )


@bp.get("/party-reports")
@staff_required
def party_reports():
    args = load_query(schemas.PartyReportQuery())
    page = saved_first(service.party_reports, service.party_reports.list(current_actor(), args))
    progress = {r.id: service.yearly_progress(r) for r in page["items"]}
    return render_template(
        "party_reports/list.html", page=page, args=args, progress=progress, names=place_names(page["items"]),
        communities=scoped_options(places.communities, Community.code),
    )


@bp.route("/party-reports/new", methods=["GET", "POST"])
@staff_required
def party_report_new():
    return party_report_form(None)


@bp.route(f"/party-reports/<{RECORD_ID}:report_id>/edit", methods=["GET", "POST"])
@staff_required
def party_report_edit(report_id: int):
    return party_report_form(service.party_reports.get(current_actor(), report_id))


def party_report_form(report):
    return form_view(
        service=service.party_reports, in_schema=schemas.PartyReportIn, obj=report,
        values_for=report_values, values_from_form=report_form_values, payload=report_payload,
        render=lambda values, problems: render_report_form(report, values, problems),
        saved_message=lambda r: _("Report of %(name)s saved.", name=r.volunteer.name),
        next_url=lambda r: url_for("people_pages.party_reports"),
    )


# --- residents ----------------------------------------------------------------------------

RESIDENT_FIELDS = ("name", "phone", "id_number", "building_id", "household", "notes", "version")


def resident_values(resident) -> dict:
    pii, _masked = pii_values(resident)
    if resident is None:
        return {"priority_groups": [], **pii}
    return {
        **pii,
        "name": resident.name,
        "building_id": str(resident.building_id),
        "household": resident.household,
        "notes": resident.notes,
        "priority_groups": [g.group.value for g in resident.priority_groups],
        "version": str(resident.version),
    }


def resident_form_values(form) -> dict:
    values = {key: form.get(key, "").strip() for key in RESIDENT_FIELDS}
    values["priority_groups"] = form.getlist("priority_groups")
    return values


def resident_payload(values: dict, resident) -> dict:
    data = blank_to_none(values, ("name", "phone", "id_number", "building_id"))
    data["household"] = values.get("household", "")
    data["notes"] = values.get("notes", "")
    data["priority_groups"] = values["priority_groups"]
    keep_hidden_pii(data, values, resident)
    return data


def render_resident_form(resident, values, problems):
    return render_template(
        "residents/form.html", resident=resident, values=values, problems=problems,
        login_accounts=service.login_accounts(current_actor(), resident),
        masked=pii_values(resident)[1], groups=[g.value for g in PriorityGroup], **place_options(),
    )


@bp.get("/residents")
@staff_required
def residents():
    args = load_query(schemas.ResidentQuery())
    page = saved_first(service.residents, service.residents.list(current_actor(), args))
    return render_template(
        "residents/list.html", page=page, args=args, names=place_names(page["items"]),
        groups=[g.value for g in PriorityGroup], **place_options(),
    )


@bp.route("/residents/new", methods=["GET", "POST"])
@staff_required
def resident_new():
    return resident_form(None)


@bp.route(f"/residents/<{RECORD_ID}:resident_id>/edit", methods=["GET", "POST"])
@staff_required
def resident_edit(resident_id: int):
    return resident_form(service.residents.get(current_actor(), resident_id))


def resident_form(resident):
    return form_view(
        service=service.residents, in_schema=schemas.ResidentIn, obj=resident,
        values_for=resident_values, values_from_form=resident_form_values, payload=resident_payload,
        render=lambda values, problems: render_resident_form(resident, values, problems),
        saved_message=lambda r: _("Resident %(name)s saved.", name=r.name),
        next_url=lambda r: url_for("people_pages.residents"),
    )
