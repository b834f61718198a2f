"""Every report entry point with each role: staff open reports on the communities they see (a grid
worker: its grid's community, counting only its grids); volunteers and residents open none."""
import pytest

from tests.support.policy_matrix import STAFF, Entry, check_entry
from volunteer_app.reports import service

WEEK = service.parse_period("2026-W49")
SEEING = STAFF | {"grid_worker"}

ENTRIES = [
    Entry("dashboard", lambda w, a, p: service.dashboard(a, WEEK, p.community.id), allowed=SEEING),
    Entry("dashboard.whole_scope", lambda w, a, p: service.dashboard(a, WEEK), allowed=SEEING, placeless=True),
    Entry("ranking", lambda w, a, p: service.ranking(a, WEEK), allowed=SEEING, placeless=True),
    Entry("party_units", lambda w, a, p: service.party_units(a, WEEK, p.community.id), allowed=SEEING),
    Entry("party_units.whole_scope", lambda w, a, p: service.party_units(a, WEEK), allowed=SEEING, placeless=True),
]


@pytest.mark.parametrize("entry", ENTRIES, ids=str)
def test_each_report_entry_point_with_each_role(world, entry):
    check_entry(world, entry)


def test_a_report_counts_only_what_the_actor_manages(world):
    """The grid worker's dashboard of its community lists its grid, never the community as a whole; the
    coordinator's lists the community; the ranking has the coordinator's community and nothing elsewhere."""
    here = world.here
    grid_worker = service.dashboard(world.actor("grid_worker"), WEEK, here.community.id)
    assert [row["grid_id"] for row in grid_worker["grids"]] == [here.grid.id] and grid_worker["communities"] == []
    coordinator = service.dashboard(world.actor("coordinator"), WEEK, here.community.id)
    assert [row["community_id"] for row in coordinator["communities"]] == [here.community.id]
    ranked = service.ranking(world.actor("coordinator"), WEEK)["rows"]
    assert [row["community_id"] for row in ranked] == [here.community.id]
    assert {row["community_id"] for row in service.ranking(world.actor("admin"), WEEK)["rows"]} >= {
        here.community.id, world.elsewhere.community.id}
