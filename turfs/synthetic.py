"""A synthetic grid town for the benchmark and tests: named streets, numbered houses on both sides, some
apartment buildings, one to three people per door, deterministic for a given seed.

Avenues run north-south, streets east-west, 100 m apart. Each block of a street has 10 lots per side; house
numbers follow the US grid (100 per block, odd on one side, even on the other) and rise eastwards on streets
and northwards on avenues. About one lot in 40 is an apartment building of 4-24 units. Fronts are 10 m either
side of the centre line. The town is centred on Hartford, CT.
"""
from __future__ import annotations

import math
import random

from .cutting import Place
from .geo import M_PER_DEG_LAT

ORIGIN = (41.7637, -72.6851)
BLOCK_M, LOTS, HALF_ROAD_M = 100.0, 10, 10.0
NAMES = ["Oak", "Elm", "Maple", "Cedar", "Pine", "Birch", "Walnut", "Chestnut", "Spruce", "Willow", "Ash",
         "Hickory", "Laurel", "Magnolia", "Poplar", "Sycamore", "Alder", "Aspen", "Beech", "Cypress", "Dogwood",
         "Fir", "Hawthorn", "Juniper", "Linden", "Locust", "Mulberry", "Olive", "Palm", "Redwood", "Sassafras",
         "Tamarack", "Acacia", "Hazel", "Holly", "Ivy", "Rowan", "Yew", "Larch", "Catalpa"]


def street_names(count: int, suffix: str) -> list:
    names = []
    for i in range(count):
        base = NAMES[i % len(NAMES)]
        names.append(f"{base} {suffix}" if i < len(NAMES) else f"{base} {i // len(NAMES) + 1} {suffix}")
    return names


def town(households: int, seed: int = 7, zip_code: str = "06106", apartments: bool = True) -> list:
    """Places (people) of a grid town with about `households` doors (exactly that many: the last street is
    cut short). Grid side g with 2 * g * (g - 1) block sides of 2 * LOTS lots each."""
    rng = random.Random(seed)
    g = 2
    while 2 * g * (g - 1) * 2 * LOTS < households:
        g += 1
    m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(ORIGIN[0]))
    to_latlon = lambda x, y: (ORIGIN[0] + y / M_PER_DEG_LAT, ORIGIN[1] + x / m_per_deg_lon)
    avenues, streets = street_names(g, "Avenue"), street_names(g, "Street")
    places, doors = [], 0

    def add_door(number, street, unit, x, y):
        nonlocal doors
        lat, lon = to_latlon(x, y)
        for person in range(rng.choice((1, 1, 2, 2, 3))):
            places.append(Place(ref=f"p{len(places):07d}", number=str(number), street=street, unit=unit,
                                zip=zip_code, lat=round(lat, 7), lon=round(lon, 7)))
        doors += 1

    for along_x, names in ((True, streets), (False, avenues)):
        for s, name in enumerate(names):
            for block in range(g - 1):
                for side in (1, 0):
                    for lot in range(LOTS):
                        if doors >= households:
                            return places
                        number = 100 * (block + 1) + 2 * lot + side
                        along = block * BLOCK_M + (lot + 0.5) * BLOCK_M / LOTS
                        across = s * BLOCK_M + (-HALF_ROAD_M if side else HALF_ROAD_M)
                        x, y = (along, across) if along_x else (across, along)
                        if apartments and rng.random() < 0.025:
                            for unit in range(1, min(rng.randint(4, 24), households - doors) + 1):
                                add_door(number, name, str(unit), x, y)
                        else:
                            add_door(number, name, "", x, y)
    return places
