"""Walk order inside one turf: street by street, each street one side ascending and back along the other.

A street here is one street name in one ZIP. On it the canvasser walks one side (odd numbers) in ascending
order, crosses, and comes back along the other side (even numbers) in descending order, units of a building
in order; so both the entry and the exit of a street with two sides are its low end, and a one-sided street is
entered at its lowest number and left at its highest. Coming back down the second side instead of walking the
street again to start it from its low end halves the walking on that street; the issue asks for "one side in
ascending order, then the other", and this is the only order of the other side that does not double back.

The order of streets is a shortest-path heuristic over the streets' entry/exit points: nearest neighbour from
the street whose entry is farthest from the turf's centre (a deterministic start on the edge), then 2-opt
moves (segment reversals, each street keeping its own direction) while they shorten the path. Doors without a
parsed address (placed by coordinates only) are one-stop streets of their own.
"""
from __future__ import annotations

import math

TWO_OPT_MAX_STREETS = 40  # beyond this, nearest neighbour only (keeps the worst case linear-ish)


class _Street:
    __slots__ = ("key", "stops", "entry", "exit")

    def __init__(self, key, stops):
        self.key, self.stops = key, stops
        self.entry = (stops[0].x, stops[0].y)
        self.exit = (stops[-1].x, stops[-1].y)


def street_walk(households) -> list:
    """One street's doors: odd side ascending, then even side descending (units in order)."""
    ordered = sorted(households, key=lambda h: h.order_key())
    odd = [h for h in ordered if h.number is not None and h.number % 2 == 1]
    even = [h for h in ordered if h.number is None or h.number % 2 == 0]
    if not odd:
        return even
    return odd + _descending_buildings(even)


def _descending_buildings(side) -> list:
    """The return side: buildings in descending number order, units inside each still ascending."""
    buildings: list[list] = []
    for h in side:
        if buildings and buildings[-1][0].building == h.building:
            buildings[-1].append(h)
        else:
            buildings.append([h])
    return [h for building in reversed(buildings) for h in building]


def walk_order(households) -> list:
    """All doors of a turf in walking order."""
    by_street: dict[tuple, list] = {}
    for h in households:
        by_street.setdefault((h.zip, h.street) if h.number is not None else h.key, []).append(h)
    streets = [_Street(key, street_walk(stops)) for key, stops in sorted(by_street.items(), key=_street_key)]
    if not streets:
        return []
    order = _nearest_neighbour(streets)
    if len(order) <= TWO_OPT_MAX_STREETS:
        order = _two_opt(order)
    return [h for street in order for h in street.stops]


def _street_key(item) -> tuple:
    return tuple(str(part) for part in item[0])


def _dist(a, b) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def _nearest_neighbour(streets) -> list:
    cx = sum(s.entry[0] for s in streets) / len(streets)
    cy = sum(s.entry[1] for s in streets) / len(streets)
    start = max(range(len(streets)), key=lambda i: (_dist(streets[i].entry, (cx, cy)), -i))
    order, left = [streets[start]], streets[:start] + streets[start + 1:]
    while left:
        here = order[-1].exit
        best = min(range(len(left)), key=lambda i: (_dist(here, left[i].entry), i))
        order.append(left.pop(best))
    return order


def _path_cost(order) -> float:
    return sum(_dist(order[i].exit, order[i + 1].entry) for i in range(len(order) - 1))


def _two_opt(order) -> list:
    """Reverse runs of streets (each street keeps its own direction) while that shortens the path."""
    n = len(order)
    if n < 3:
        return order
    best = _path_cost(order)
    improved, rounds = True, 0
    while improved and rounds < 20:
        improved, rounds = False, rounds + 1
        for i in range(n - 1):
            for j in range(i + 1, n):
                candidate = order[:i] + order[i:j + 1][::-1] + order[j + 1:]
                cost = _path_cost(candidate)
                if cost < best - 1e-6:
                    order, best, improved = candidate, cost, True
    return order
