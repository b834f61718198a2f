"""The roster scenario of tests/support/roster.py, for this package's tests."""
from tests.support.roster import district, make_template  # noqa: F401 (fixtures)
