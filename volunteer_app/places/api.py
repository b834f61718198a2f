"""REST endpoints of the place hierarchy (thin: the rules are in service.py)."""
from flask_smorest import Blueprint

from ..resources import register_crud, update_schema_for
from . import schemas, service

blp = Blueprint("places", __name__, description="街道 / 社区 / 网格 / 楼栋 and stations")

for url, svc, out, inp in (
    ("/subdistricts", service.subdistricts, schemas.SubdistrictSchema, schemas.SubdistrictIn),
    ("/communities", service.communities, schemas.CommunitySchema, schemas.CommunityIn),
    ("/grids", service.grids, schemas.GridSchema, schemas.GridIn),
    ("/buildings", service.buildings, schemas.BuildingSchema, schemas.BuildingIn),
    ("/stations", service.stations, schemas.StationSchema, schemas.StationIn),
):
    register_crud(blp, url, svc, out, inp, schemas.PlaceQuery, update_schema_for(inp))
