"""The service town of tests/support/services.py, for this package's tests."""
from tests.support.services import clock, event_payload, make_event, make_service_type, town  # noqa: F401 (fixtures)
