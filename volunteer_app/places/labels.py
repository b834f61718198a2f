"""What people call the kinds of places."""
from flask_babel import lazy_gettext as _l

from .. import labels

PLACES_LABELS = labels.register({
    "station_type": {"party_center": _l("Party-masses service centre"), "grid_station": _l("Grid service station"),
                     "red_post": _l("Red post"), "volunteer_market": _l("Volunteer market")},
})
