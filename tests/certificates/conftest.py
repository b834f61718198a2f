"""The certificates' area (tests/support/certificates.py) for every test here."""
from tests.support.certificates import area  # noqa: F401 (fixture)
