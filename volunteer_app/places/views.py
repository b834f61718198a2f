"""Registry pages of stations (党群服务中心 / 网格党群服务站 / 红色驿站): where duty shifts happen."""
import re

from flask import Blueprint, render_template, url_for
from flask_babel import gettext as _

from ..views import (
    RECORD_ID, blank_to_none, form_rows, form_view, load_query, names_by_id, rows_payload, saved_first,
    scoped_options, staff_required,
)
from . import schemas, service
from .models import Community, Grid, StationType
from ..accounts.policy import current_actor

bp = Blueprint("places_pages", __name__)

STATION_FIELDS = ("code", "name", "station_type", "community_id", "grid_id", "address", "lat", "lon", "closures",
                  "version")
HOURS_FIELDS = ("weekday", "start", "end")


def station_values(station) -> dict:
    if station is None:
        return {"station_type": StationType.grid_station.value, "closed_on_holidays": True, "opening_hours": []}
    return {
        "code": station.code,
        "name": station.name,
        "station_type": station.station_type.value,
        "community_id": str(station.community_id),
        "grid_id": str(station.grid_id or ""),
        "address": station.address,
        "lat": str(station.lat),
        "lon": str(station.lon),
        "opening_hours": [{key: str(row.get(key, "")) for key in HOURS_FIELDS} for row in station.opening_hours],
        "closed_on_holidays": station.closed_on_holidays,
        "closures": "\n".join(station.closures),
        "version": str(station.version),
    }


def station_form_values(form) -> dict:
    values = {key: form.get(key, "").strip() for key in STATION_FIELDS}
    values["closed_on_holidays"] = bool(form.get("closed_on_holidays"))
    values["opening_hours"] = form_rows(form, "opening_hours", HOURS_FIELDS, significant=("start", "end"))
    return values


def station_payload(values: dict, station) -> dict:
    data = blank_to_none(values, ("code", "name", "station_type", "community_id", "grid_id", "lat", "lon"))
    data["address"] = values.get("address", "")
    data["opening_hours"] = rows_payload(values["opening_hours"])
    data["closed_on_holidays"] = values["closed_on_holidays"]
    data["closures"] = [day for day in re.split(r"[\s,;，；、]+", values.get("closures", "")) if day]
    return data


def render_station_form(station, values, problems):
    return render_template(
        "stations/form.html", station=station, values=values, problems=problems,
        types=[t.value for t in StationType],
        communities=scoped_options(service.communities, Community.code),
        grids=scoped_options(service.grids, Grid.community_id, Grid.code),
    )


@bp.get("/stations")
@staff_required
def stations():
    args = load_query(schemas.PlaceQuery())
    page = saved_first(service.stations, service.stations.list(current_actor(), args))
    return render_template(
        "stations/list.html", page=page, args=args, types=[t.value for t in StationType],
        communities=scoped_options(service.communities, Community.code),
        grids=scoped_options(service.grids, Grid.community_id, Grid.code),
        names={"community": names_by_id(Community, [s.community_id for s in page["items"]]),
               "grid": names_by_id(Grid, [s.grid_id for s in page["items"]])},
    )


@bp.route("/stations/new", methods=["GET", "POST"])
@staff_required
def station_new():
    return station_form(None)


@bp.route(f"/stations/<{RECORD_ID}:station_id>/edit", methods=["GET", "POST"])
@staff_required
def station_edit(station_id: int):
    return station_form(service.stations.get(current_actor(), station_id))


def station_form(station):
    return form_view(
        service=service.stations, in_schema=schemas.StationIn, obj=station,
        values_for=station_values, values_from_form=station_form_values, payload=station_payload,
        render=lambda values, problems: render_station_form(station, values, problems),
        saved_message=lambda s: _("Station %(name)s saved.", name=s.name),
        next_url=lambda s: url_for("places_pages.stations"),
    )
