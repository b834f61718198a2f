"""The visits' area (tests/support/visits.py) for every test here."""
from tests.support.visits import area, clock, make_service_type, record  # noqa: F401 (fixtures)
