"""How volunteers are named in pickers: namesakes (two 周岩) must not look the same."""
from collections import Counter
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..places.models import Grid
from .models import Volunteer

NAMESAKE_LABEL = _l("%(name)s (%(grid)s · phone ending %(tail)s)")


def distinguishing_labels(volunteers: Iterable[Volunteer]) -> dict[int, str]:
    """Volunteer id → the label to show: the name alone when no one else in the list has it,
    otherwise the name with their grid and the last four digits of their phone."""
    volunteers = list(volunteers)
    counts = Counter(v.name for v in volunteers)
    namesakes = [v for v in volunteers if counts[v.name] > 1]
    grid_names = dict(db.session.execute(
        select(Grid.id, Grid.name).where(Grid.id.in_({v.grid_id for v in namesakes}))
    ).all()) if namesakes else {}
    labels = {v.id: v.name for v in volunteers}
    for v in namesakes:
        labels[v.id] = NAMESAKE_LABEL % {"name": v.name, "grid": grid_names.get(v.grid_id, ""), "tail": v.phone[-4:]}
    return labels
