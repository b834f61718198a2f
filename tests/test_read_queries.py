"""The reads a phone makes every day cost a fixed number of SQL statements, however many items they list.

Each read is counted with 2 items and again with 15: the same count means no statement per item (N+1).
"""
import pytest

from tests.support.everyday import Everyday
from tests.support.queries import counted_statements
from tests.support.services import NOW, WEEK, clock, make_service_type, town  # noqa: F401 (fixtures)
from volunteer_app.extensions import db

MONDAY = NOW.replace(hour=0)


class Day(Everyday):
    """The town's first volunteer and resident with their API clients."""

    def __init__(self, town):
        volunteer, resident, station = town["volunteers"][0], town["residents"][0], town["station"]
        self.api = {"volunteer": town["volunteer_apis"][0], "resident": town["resident_apis"][0]}
        super().__init__(volunteer.id, resident.id, town["resident_users"][0].id, resident.community_id,
                         resident.grid_id, (station.id, station.lat, station.lon),
                         (town["clinic"].id, town["repair"].id), WEEK, MONDAY)
        db.session.commit()

    def grow_to(self, items: int) -> None:
        super().grow_to(items)
        db.session.commit()


def statements_of(api, path: str, items: int) -> int:
    """The statements one read sends (after one unmeasured call: the token's last use is written once)."""
    assert api.get(path).status_code == 200
    db.session.remove()
    with counted_statements() as statements:
        response = api.get(path)
    assert response.status_code == 200, response.json
    listed = response.json["items"] if "items" in response.json else response.json
    assert not isinstance(listed, list) or len(listed) >= items, (path, len(listed))
    return len(statements)


@pytest.fixture()
def day(town):
    return Day(town)


def test_each_everyday_read_costs_the_same_statements_for_2_and_15_items(day):
    day.grow_to(2)
    few = {name: statements_of(day.api[who], path, 2) for name, (who, path) in day.reads().items()}
    day.grow_to(15)
    many = {name: statements_of(day.api[who], path, 15) for name, (who, path) in day.reads().items()}
    assert many == few


def test_the_health_check_asks_the_database_once(client):
    with counted_statements() as statements:
        assert client.get("/healthz").status_code == 200
    assert statements == ["SELECT 1"]
