"""Official holiday and 调休 days entered by an admin; they always win over the package."""
from datetime import date

from sqlalchemy import Boolean, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import Audited, TimestampMixin


class HolidayOverride(Audited, TimestampMixin, db.Model):
    __tablename__ = "holiday_overrides"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    # True: an official working day (调休 on a weekend); False: a public holiday.
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(32), default="")
