"""What every part of the points rules shares: who counts as a coordinator, and local (China) time."""
from datetime import datetime, timezone

from ...accounts.models import Role, User
from ...clock import CHINA_TIME


COORDINATORS = (Role.admin, Role.coordinator)


def is_coordinator(user: User) -> bool:
    return user.role in COORDINATORS


def local_naive(moment: datetime) -> datetime:
    """Rosters keep naive China time; an aware moment is converted first."""
    return moment.astimezone(CHINA_TIME).replace(tzinfo=None) if moment.tzinfo else moment


def month_start_utc(year: int, month: int) -> datetime:
    """The UTC instant at which a local (China) calendar month begins."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=CHINA_TIME).astimezone(timezone.utc)
