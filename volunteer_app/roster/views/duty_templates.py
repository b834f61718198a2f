"""Duty templates (轮流值守): the recurring shifts a week is generated from."""
from collections import defaultdict

from flask import render_template, request, url_for
from flask_babel import gettext as _

from ...people import service as people
from ...people.models import Skill
from ...places import service as places
from ...places.models import Community, Station
from ...resources import paginate
from ...views import RECORD_ID, blank_to_none, form_view, hhmm, load_query, names_by_id, scoped_options, staff_required
from .. import schemas, service
from ..models import HolidayRule, ShiftTemplate
from . import bp
from .common import skill_names, station_options
from ...accounts.policy import current_actor

#: Templates listed on one page (a community has a few dozen).
TEMPLATES_PER_PAGE = 100

# --- duty templates --------------------------------------------------------------------------

TEMPLATE_FIELDS = ("station_id", "title", "weekday", "start", "end", "needed", "priority", "holiday_rule",
                   "holiday_needed", "version")


def template_values(template: ShiftTemplate | None) -> dict:
    if template is None:
        return {"station_id": request.args.get("station_id", ""), "weekday": "0", "start": "18:00", "end": "20:00",
                "needed": "1", "priority": "3", "holiday_rule": HolidayRule.closed.value, "holiday_needed": "",
                "skills": [], "active": True}
    return {
        "station_id": str(template.station_id), "title": template.title, "weekday": str(template.weekday),
        "start": hhmm(template.start), "end": hhmm(template.end), "needed": str(template.needed),
        "priority": str(template.priority), "holiday_rule": template.holiday_rule.value,
        "holiday_needed": str(template.holiday_needed or ""), "skills": list(template.skills),
        "active": template.active, "version": str(template.version),
    }


def template_form_values(form) -> dict:
    values = {key: form.get(key, "").strip() for key in TEMPLATE_FIELDS}
    values["skills"] = form.getlist("skills")
    values["active"] = bool(form.get("active"))
    return values


def template_payload(values: dict, template) -> dict:
    data = blank_to_none(values, ("station_id", "weekday", "start", "end", "needed", "priority", "holiday_rule",
                                  "holiday_needed"))
    for key in ("needed", "priority"):  # blank: the default (1 person, priority 3)
        if data[key] is None:
            data.pop(key)
    data["title"] = values.get("title", "")
    data["skills"] = values["skills"]
    data["active"] = values["active"]
    return data



def render_template_form(template, values, problems):
    return render_template(
        "roster/template_form.html", template=template, values=values, problems=problems,
        stations=station_options(), skills=scoped_options(people.skills, Skill.code),
        rules=[r.value for r in HolidayRule],
    )


@bp.get("/roster/templates")
@staff_required
def templates():
    args = load_query(schemas.TemplateQuery())
    statement = service.templates.filtered(current_actor(), args).order_by(
        ShiftTemplate.station_id, ShiftTemplate.weekday, ShiftTemplate.start, ShiftTemplate.id)
    page = paginate(statement, args["page"], TEMPLATES_PER_PAGE)
    stations = names_by_id(Station, [t.station_id for t in page["items"]])
    groups = defaultdict(list)
    for template in page["items"]:
        groups[template.station_id].append(template)
    return render_template(
        "roster/templates.html", page=page, args=args, groups=groups, stations=stations,
        station_choices=station_options(), communities=scoped_options(places.communities, Community.code),
        skills=skill_names(),
    )


@bp.route("/roster/templates/new", methods=["GET", "POST"])
@staff_required
def template_new():
    return template_form(None)


@bp.route(f"/roster/templates/<{RECORD_ID}:template_id>/edit", methods=["GET", "POST"])
@staff_required
def template_edit(template_id: int):
    return template_form(service.templates.get(current_actor(), template_id))


def template_form(template):
    return form_view(
        service=service.templates, in_schema=schemas.TemplateIn, obj=template,
        values_for=template_values, values_from_form=template_form_values, payload=template_payload,
        render=lambda values, problems: render_template_form(template, values, problems),
        saved_message=lambda t: _("Duty template %(title)s saved.", title=t.title or t.station.name),
        next_url=lambda t: url_for("roster_pages.templates", station_id=t.station_id),
    )


