"""The roster scenario of tests/support/roster.py, for this package's tests."""
# WEEK only for test_decline_holds.py, until it imports it from tests.support.roster.
from tests.support.roster import WEEK, district, make_template  # noqa: F401 (fixtures)
