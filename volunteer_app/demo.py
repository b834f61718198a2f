"""Demo district (placeholder until the seeding module lands)."""


def seed(password=None) -> dict:
    return {}
