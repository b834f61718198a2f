"""What every part of the points rules shares: local (China) time."""
from datetime import datetime, timezone

from ...clock import CHINA_TIME


def local_naive(moment: datetime) -> datetime:
    """Rosters keep naive China time; an aware moment is converted first."""
    return moment.astimezone(CHINA_TIME).replace(tzinfo=None) if moment.tzinfo else moment


def month_start_utc(year: int, month: int) -> datetime:
    """The UTC instant at which a local (China) calendar month begins."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=CHINA_TIME).astimezone(timezone.utc)
