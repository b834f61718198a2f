"""Distance and travel time exactly as docs/roster-problem.md defines them.

Every rule and score that involves places goes through these two functions,
so the solver, its explanations and its suggestions agree to the metre.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache
from typing import Protocol

EARTH_RADIUS_M = 6_371_000


class Place(Protocol):
    lat: float
    lon: float


@lru_cache(maxsize=1 << 18)
def _haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> int:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlam = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return math.floor(2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h))) + 0.5)


def distance_m(a: Place, b: Place) -> int:
    """Haversine distance in whole metres on R = 6,371,000 m, halves rounded up.

    Cached, because the same homes and stations meet each other many times."""
    return _haversine_m(a.lat, a.lon, b.lat, b.lon)


def minutes_to_walk(distance: int, walking_speed_m_per_min: float) -> int:
    """ceil(distance / speed), computed exactly.

    A speed such as 0.7 is read as the decimal the JSON says, not as its
    binary float, so 210 m at 0.7 m/min is 300 minutes, not 301."""
    speed = walking_speed_m_per_min
    if isinstance(speed, int):
        return -(-distance // speed)
    return math.ceil(distance / Fraction(repr(speed)))


def travel_min(a: Place, b: Place, walking_speed_m_per_min: float = 70) -> int:
    """Minutes needed to walk from `a` to `b`: the spec's travel(a, b)."""
    return minutes_to_walk(distance_m(a, b), walking_speed_m_per_min)


def distance_upper_bound_m(places: list[Place]) -> float:
    """A cheap bound on the distance between any two of `places`.

    A great circle is never longer than going along a meridian and then a
    parallel, so R * (latitude span + longitude span) in radians bounds every
    pairwise distance without computing all of them."""
    if not places:
        return 0.0
    lats = [p.lat for p in places]
    lons = [p.lon for p in places]
    lon_span = min(math.radians(max(lons) - min(lons)), math.pi)
    return EARTH_RADIUS_M * (math.radians(max(lats) - min(lats)) + lon_span) + 1
