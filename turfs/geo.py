"""Distances on the ground: haversine metres for reports, a local flat projection for cutting and ordering.

The flat projection (equirectangular around the data's mean latitude) is exact enough for a town or a state
(errors well under 1% across Connecticut) and lets the cutting code compare plain numbers.
"""
import math

EARTH_RADIUS_M = 6_371_008.8
M_PER_DEG_LAT = 111_132.0


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def path_length_m(points) -> float:
    """Length in metres of the path through (lat, lon) points in the given order."""
    total, prev = 0.0, None
    for point in points:
        if prev is not None and point != prev:
            total += haversine_m(prev[0], prev[1], point[0], point[1])
        prev = point
    return total


class Projection:
    """Maps (lat, lon) to metres east/north of a reference point."""

    def __init__(self, lat0: float, lon0: float):
        self.lat0, self.lon0 = lat0, lon0
        self.m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(lat0))

    @classmethod
    def around(cls, points) -> "Projection":
        points = list(points)
        if not points:
            return cls(0.0, 0.0)
        return cls(sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return (lon - self.lon0) * self.m_per_deg_lon, (lat - self.lat0) * M_PER_DEG_LAT
