"""Synthetic but realistic community-weeks in the roster problem format.

Benchmarks and tests need many problems that look like a real 社区 week:
volunteers live in clustered grids (网格) around a few stations, scarce
skills (haircut, medical check-ups, legal advice) are rare among volunteers
but common in residents' requests, station duty peaks on evenings and
weekends, and each kind of volunteer has its own hours: in-office party
members (在职党员) serve evenings and weekends, retirees weekday daytime,
students weekends. With `tight=True` only enough volunteers are present to
cover about 60% of the demanded minutes (the others are away that week), so
demand clearly exceeds supply. Everything comes from one
`random.Random(seed)`, so the same arguments give the same problem.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta

CENTRE = (43.88, 125.32)  # Changchun
WEEK_START = date(2026, 11, 30)  # Monday of ISO week 2026-W49
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
COMMUNITY_NAMES = ("维北社区", "临江社区", "船营社区", "北山社区", "越山社区", "南岭社区", "东盛社区", "西安社区")
METRES_PER_DEGREE = 111_195

# Share of volunteers with each skill: the scarce ones are the ones residents ask for.
VOLUNTEER_SKILLS = {
    "companionship": 0.30,  # 亲情陪护
    "first_aid": 0.14,
    "repair": 0.11,  # 维修: 疏通下水, 线路维修
    "tutoring": 0.09,  # 四点半课堂
    "legal": 0.06,  # 法律咨询, 纠纷调解
    "haircut": 0.05,  # 理发
    "medical": 0.03,  # 义诊, blood-pressure checks
    "photography": 0.03,
}
# Residents' requests (便民服务 menu): required skills and relative frequency.
TASK_TYPES = (
    ((), 0.18),  # 代办: errands, bill payment, paperwork
    (("companionship",), 0.18),
    (("haircut",), 0.15),
    (("medical",), 0.12),
    (("repair",), 0.11),
    (("tutoring",), 0.09),
    (("legal",), 0.07),
    (("first_aid",), 0.07),
    (("medical", "first_aid"), 0.03),
)
TASK_MINUTES = (20, 30, 40, 60, 90)
# Mean of the max_minutes drawn below (retirees 120..480, others 120..360).
MEAN_MAX_MINUTES = 0.4 * 300 + 0.6 * 240
# Station shift slots: (label, start, end, weekday weight, weekend weight).
SHIFT_SLOTS = (
    ("am", "08:00", "12:00", 0.2, 1.5),
    ("mid", "09:00", "11:00", 0.4, 1.0),
    ("pm", "13:30", "16:30", 0.2, 1.4),
    ("aft", "14:00", "17:00", 0.3, 1.0),
    ("eve", "18:00", "20:00", 1.6, 0.6),
    ("late", "18:30", "21:00", 0.9, 0.3),
)
# Task start windows in minutes after midnight, with weights: mornings and
# afternoons for home visits, a smaller evening peak after work.
TASK_PERIODS = ((8 * 60 + 30, 11 * 60), (14 * 60, 16 * 60 + 30), (18 * 60 + 30, 20 * 60))
TASK_PERIOD_WEIGHTS = (0.4, 0.4, 0.2)


def _hhmm(day: date, minute: int) -> str:
    return f"{day.isoformat()}T{minute // 60:02d}:{minute % 60:02d}"


def _minute(hhmm: str) -> int:
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


def _duration(demand: dict) -> int:
    span = datetime.fromisoformat(demand["end"]) - datetime.fromisoformat(demand["start"])
    return int(span.total_seconds()) // 60


class _Week:
    """One generation run: the random source and the place."""

    def __init__(self, volunteers: int, seed: int):
        self.rng = random.Random(seed)
        self.days = [WEEK_START + timedelta(days=i) for i in range(7)]
        n_grids = max(2, min(24, round(0.7 * math.sqrt(volunteers))))
        self.radius_m = 500 + 60 * math.sqrt(volunteers)
        self.grids = [self.point_near(CENTRE, self.radius_m) for _ in range(n_grids)]
        # Station "c" is the community's service centre; "gK" is grid K's station.
        self.stations = {"c": self.point_near(CENTRE, 150)}
        self.stations.update({f"g{k + 1}": self.point_near(g, 100) for k, g in enumerate(self.grids)})

    def point_near(self, centre: tuple[float, float], spread_m: float) -> tuple[float, float]:
        dy = self.rng.gauss(0, spread_m / 2)
        dx = self.rng.gauss(0, spread_m / 2)
        lat = centre[0] + dy / METRES_PER_DEGREE
        lon = centre[1] + dx / (METRES_PER_DEGREE * math.cos(math.radians(centre[0])))
        return (lat, lon)

    def household(self) -> dict:
        lat, lon = self.point_near(self.rng.choice(self.grids), 400)
        return {"lat": round(lat, 6), "lon": round(lon, 6)}

    # Demands.

    def shift(self, taken: dict[str, int]) -> dict:
        station = "c" if self.rng.random() < 0.3 else self.rng.choice(list(self.stations)[1:])
        day_index, slot = self.rng.choices(
            [(i, s) for i in range(7) for s in SHIFT_SLOTS],
            weights=[s[4] if i >= 5 else s[3] for i in range(7) for s in SHIFT_SLOTS],
        )[0]
        label, start, end = slot[:3]
        base = f"shift-{station}-{DAY_NAMES[day_index]}-{label}"
        taken[base] = taken.get(base, 0) + 1
        peak = day_index >= 5 or label in ("eve", "late")
        roll = self.rng.random()
        lat, lon = self.stations[station]
        return {
            "id": base if taken[base] == 1 else f"{base}-{taken[base]}",
            "kind": "shift",
            "start": _hhmm(self.days[day_index], _minute(start)),
            "end": _hhmm(self.days[day_index], _minute(end)),
            "location": {"lat": round(lat, 6), "lon": round(lon, 6)},
            "required_skills": ["first_aid"] if roll < 0.15 else ["medical"] if roll < 0.18 else [],
            "count": self.rng.choices((1, 2, 3), weights=(35, 50, 15))[0],
            "priority": self.rng.randint(3, 6) if peak else self.rng.randint(2, 5),
        }

    def task(self, number: int) -> dict:
        rng = self.rng
        day = rng.choices(self.days, weights=(1, 1, 1, 1, 1.2, 1.6, 1.6))[0]
        low, high = rng.choices(TASK_PERIODS, weights=TASK_PERIOD_WEIGHTS)[0]
        start = rng.randrange(low, high + 1, 10)
        skills = rng.choices([t[0] for t in TASK_TYPES], weights=[t[1] for t in TASK_TYPES])[0]
        # Priority groups (低保, 残疾, 独居老人) come first.
        priority = rng.randint(7, 10) if rng.random() < 0.3 else rng.randint(1, 6)
        return {
            "id": f"req-{1000 + number}",
            "kind": "task",
            "start": _hhmm(day, start),
            "end": _hhmm(day, start + rng.choice(TASK_MINUTES)),
            "location": self.household(),
            "required_skills": list(skills),
            "count": 1,
            "priority": priority,
        }

    # Volunteers.

    def windows(self, kind: str) -> list[tuple[date, int, int]]:
        """Availability by volunteer kind; some days come as two touching windows."""
        rng = self.rng
        weekdays, weekend = self.days[:5], self.days[5:]
        out: list[tuple[date, int, int]] = []
        if kind == "party_member":  # 在职党员: 8小时之外
            for day in rng.sample(weekdays, rng.randint(1, 3)):
                out.append((day, rng.choice((17 * 60 + 30, 18 * 60)), rng.choice((20 * 60 + 30, 21 * 60))))
            for day in rng.sample(weekend, rng.randint(0, 2)):
                out.extend(self.day_windows(day))
        elif kind == "retiree":
            for day in rng.sample(weekdays, rng.randint(2, 5)):
                out.extend(self.day_windows(day))
            if rng.random() < 0.2:
                out.extend(self.day_windows(rng.choice(weekend)))
        else:  # student
            for day in rng.sample(weekend, rng.randint(1, 2)):
                out.extend(self.day_windows(day))
            if rng.random() < 0.3:
                day = rng.choice(weekdays)
                out.append((day, 18 * 60 + 30, 21 * 60))
        return out

    def day_windows(self, day: date) -> list[tuple[date, int, int]]:
        """A morning, an afternoon, or a whole day written as touching halves."""
        rng = self.rng
        shape = rng.random()
        morning = (day, rng.choice((7 * 60 + 30, 8 * 60, 8 * 60 + 30)), rng.choice((11 * 60 + 30, 12 * 60)))
        if shape < 0.35:
            return [morning]
        afternoon = (day, rng.choice((13 * 60 + 30, 14 * 60)), rng.choice((17 * 60, 17 * 60 + 30, 18 * 60)))
        if shape < 0.6:
            return [afternoon]
        if shape < 0.8:
            return [(day, 8 * 60, 12 * 60), (day, 12 * 60, 17 * 60)]
        return [(day, 8 * 60, afternoon[2])]

    def volunteer(self, number: int, present: float) -> dict:
        """One volunteer; with probability 1 - `present` away all week (no availability)."""
        rng = self.rng
        kind = rng.choices(("party_member", "retiree", "student"), weights=(40, 40, 20))[0]
        windows = sorted(self.windows(kind), key=lambda w: (w[0], w[1]))
        if rng.random() >= present:
            windows = []
        skills = [s for s, share in VOLUNTEER_SKILLS.items() if rng.random() < share]
        max_minutes = rng.randrange(120, 481 if kind == "retiree" else 361, 30)
        volunteer = {
            "id": f"v{number}",
            "skills": skills,
            "home": self.household(),
            "availability": [{"start": _hhmm(d, s), "end": _hhmm(d, e)} for d, s, e in windows],
            "max_minutes": max_minutes,
        }
        if rng.random() < 0.35:
            volunteer["max_assignments"] = rng.randint(2, 6)
        if rng.random() < 0.8:
            volunteer["max_distance_m"] = rng.randrange(800, 3001, 100)
        volunteer["history_minutes"] = rng.choice((0, 30, 60, 90, 120, 180, 240, 300, 480, 600, 900))
        if windows and rng.random() < 0.2:
            day, start, end = rng.choice(windows)
            avoid_start = rng.randrange(start, max(start + 1, end - 120), 30)
            volunteer["avoid"] = [{"start": _hhmm(day, avoid_start), "end": _hhmm(day, min(end, avoid_start + 120))}]
        return volunteer


def generate(volunteers: int, demands: int, seed: int, tight: bool = False) -> dict:
    """A problem dict with `volunteers` volunteers and `demands` demands, a
    function of the arguments alone."""
    week = _Week(volunteers, seed)
    name = f"{week.rng.choice(COMMUNITY_NAMES)} 2026-W49 (seed {seed}{', tight' if tight else ''})"
    taken: dict[str, int] = {}
    n_shifts = round(demands * 0.4)
    work = [week.shift(taken) for _ in range(n_shifts)]
    work += [week.task(i + 1) for i in range(demands - n_shifts)]
    present = 1.0
    if tight:
        # Enough volunteers are away this week that the hours of those
        # present cover about 60% of the demanded minutes.
        wanted = sum(d["count"] * _duration(d) for d in work)
        present = min(1.0, 0.6 * wanted / (MEAN_MAX_MINUTES * max(1, volunteers)))
    people = [week.volunteer(i + 1, present) for i in range(volunteers)]
    return {
        "format": "roster-problem/1",
        "name": name,
        "walking_speed_m_per_min": 70,
        "max_distance_m": 3000,
        "volunteers": people,
        "demands": work,
    }
