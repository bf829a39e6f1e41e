"""Cutting canvassing turf: people -> households (doors) -> block faces -> balanced, compact turfs.

Pure Python, no Django: the rq job (turfs.jobs) turns contacts into `Place`s and stores what `cut()` returns.

Algorithm: recursive coordinate bisection (RCB) over block faces, with size-balanced cuts.

1. Households. People at the same normalised address (ZIP, street, house number, unit) are one door. A building
   is one house number on one street in one ZIP; its units are consecutive in every ordering used here.
2. Block faces. The atoms of the cut are block faces, approximated by (ZIP, street, side = parity of the house
   number, hundred-block = number // 100): one side of one street between two cross streets in the usual US
   numbering grid. Each face has the door-weighted centroid of its households (flat metres, `geo.Projection`).
3. Turf sizes. With T the target doors and N the doors in total, k = round(N / T) turfs of N / k doors each when
   that is within 10% of T; otherwise (small N only) floor(N / T) turfs of T and one remainder turf.
4. Bisection. A node holding faces and a list of k turf sizes sorts its faces along the longer side of their
   bounding box and cuts them where the running door count reaches the share of the first k // 2 turfs. Any
   cut between two faces whose two halves stay in the balance band is allowed (the band is worked out as an
   interval of door counts, so the choice costs one binary search); the one nearest the exact share wins. A
   block face is split only when no face boundary gives a balanced cut: then the face straddling the share is
   cut between its buildings (or its households when buildings need not stay whole), in house-number order.
   The band is tighter for inner nodes (+-12% per turf) than for final turfs (+-20%), which leaves room for
   the cuts below; so every turf ends within 20% of the target, except the one remainder turf.
5. Walk order inside each turf (turfs.walk): street by street along a short path (nearest neighbour from the
   turf's outermost street, then 2-opt), each street one side ascending and back along the other.

Why RCB: each cut is a straight line through the densest direction, so turfs are compact blocks of the street
grid (no long thin strips, no islands), balance is exact up to one face by construction, the recursion makes
O(log k) passes with one sort each (O(F log F log k) for F faces; 100,000 households cut in well under a
second), and the result depends only on the data, never on the input order or on a random seed. A
space-filling-curve ordering is as fast but its chunks jump across the curve's quadrant seams, making
disconnected turfs; k-means style clustering is neither balanced nor deterministic without extra repair.
"""
from __future__ import annotations

import bisect
import itertools
import statistics
from dataclasses import dataclass, field

from .addresses import normalise_street, normalise_unit, normalise_zip, parse_line, parse_number, unit_sort_key
from .geo import Projection, path_length_m

TOLERANCE = 0.2          # every turf within 20% of the target (except the remainder)
# per-turf share allowed to an inner node of the bisection by its number of turfs: tighter higher up, which
# leaves room for the cuts below (a node whose turfs average 12% under the target can still be cut in two)
INNER_TOLERANCE = ((2, 0.14), (4, 0.12), (16, 0.1))
INNER_TOLERANCE_REST = 0.08
EQUAL_TOLERANCE = 0.1    # equal-size turfs when N / round(N / T) is this close to T; else one remainder


@dataclass(frozen=True, slots=True)
class Place:
    """One person's address, as the cut needs it. `precision` is "exact" for partner-given coordinates,
    "zip_centroid" for the ZIP's centre (approximate), "none" when there are no coordinates."""

    ref: str
    number: str = ""
    street: str = ""
    unit: str = ""
    zip: str = ""
    lat: float | None = None
    lon: float | None = None
    precision: str = "exact"
    line: str = ""  # the address as given, parsed with usaddress when number/street are missing


@dataclass(slots=True)
class Household:
    """One door."""

    key: tuple
    street: str
    number: int | None
    suffix: str
    unit: str
    zip: str
    lat: float
    lon: float
    approximate: bool
    refs: list
    label: str
    x: float = 0.0
    y: float = 0.0

    @property
    def parsed(self) -> bool:
        return self.number is not None

    @property
    def building(self) -> tuple:
        return (self.zip, self.street, self.number, self.suffix) if self.parsed else self.key

    @property
    def face(self) -> tuple:
        """The block-face proxy: ZIP, street, side (number parity) and hundred-block."""
        return (self.zip, self.street, self.number % 2, self.number // 100) if self.parsed else self.key

    @property
    def door_key(self) -> str:
        """The door as a string: "number|STREET|unit|ZIP" (turfs.selectors.door_key gives the same)."""
        if not self.parsed:
            return "?|" + "|".join(str(part) for part in self.key[1:])
        return f"{self.number}{self.suffix}|{self.street}|{self.unit}|{self.zip}"

    def order_key(self) -> tuple:
        return (self.number if self.parsed else -1, self.suffix, unit_sort_key(self.unit), self.key)


@dataclass(frozen=True, slots=True)
class Unplaced:
    ref: str
    reason: str
    address: str


@dataclass(slots=True)
class Turf:
    number: int
    stops: list  # Households in walk order
    distance_m: float = 0.0
    remainder: bool = False

    @property
    def doors(self) -> int:
        return len(self.stops)

    @property
    def people(self) -> int:
        return sum(len(h.refs) for h in self.stops)


@dataclass(slots=True)
class CutResult:
    turfs: list
    unplaced: list          # Unplaced: people with no coordinates at all (never dropped silently)
    unparsed: list          # refs placed by coordinates only (no house number and street)
    approximate: list       # refs whose door is placed by a ZIP centroid
    stats: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------- households

def build_households(places) -> tuple[list, list, list]:
    """Group people into doors. Returns (households sorted by key, unplaced people, refs of unparsed people)."""
    groups: dict[tuple, list] = {}
    unplaced, unparsed = [], []
    for place in places:
        located = place.lat is not None and place.lon is not None and place.precision != "none"
        number, street, unit = place.number, place.street, place.unit
        if not (number and street) and place.line:
            parsed = parse_line(place.line, unit)
            if parsed is not None:
                number, street, unit = parsed.number, parsed.street, parsed.unit
        house, street_n, zip_n = parse_number(number), normalise_street(street), normalise_zip(place.zip)
        address = " ".join(part for part in (number, street, unit, place.zip) if part) or place.line
        if not located:
            unplaced.append(Unplaced(place.ref, "no coordinates and no known ZIP", address))
            continue
        if house is not None and street_n:
            key = (zip_n, street_n, house[0], house[1], normalise_unit(unit))
        else:
            unparsed.append(place.ref)
            key = ("?", zip_n, (place.line or address).upper().strip() or f"#{place.ref}")
        groups.setdefault(key, []).append(place)

    households = []
    for key in sorted(groups, key=_safe_key):
        members = sorted(groups[key], key=lambda p: p.ref)
        exact = [p for p in members if p.precision == "exact"]
        where = exact[0] if exact else members[0]
        if key[0] == "?":
            number, suffix, unit, street = None, "", "", ""
            label = key[2]
        else:
            _, street, number, suffix, unit = key
            label = f"{number}{suffix} {street}" + (f" #{unit}" if unit else "")
        households.append(Household(key=key, street=street, number=number, suffix=suffix, unit=unit, zip=key[1]
                                    if key[0] == "?" else key[0], lat=float(where.lat), lon=float(where.lon),
                                    approximate=not exact, refs=[p.ref for p in members], label=label))
    _share_building_coordinates(households)
    return households, unplaced, unparsed


def _safe_key(key: tuple) -> tuple:
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in key)


def _share_building_coordinates(households) -> None:
    """A unit without its own coordinates takes the exact ones of another unit of its building."""
    exact = {}
    for h in households:
        if h.parsed and not h.approximate:
            exact.setdefault(h.building, (h.lat, h.lon))
    for h in households:
        if h.approximate and h.building in exact:
            h.lat, h.lon = exact[h.building]
            h.approximate = False


# ---------------------------------------------------------------------------------------------- sizes

def turf_sizes(doors: int, target: int) -> tuple[list, bool]:
    """Desired doors per turf, and whether the last one is a remainder turf."""
    if doors <= 0:
        return [], False
    k = max(1, round(doors / target))
    if abs(doors / k - target) <= EQUAL_TOLERANCE * target:
        return [doors / k] * k, False
    full, rest = divmod(doors, target)
    if full == 0:
        return [float(doors)], True
    return [float(target)] * full + ([float(rest)] if rest else []), bool(rest)


# ---------------------------------------------------------------------------------------------- bisection

class _Unit:
    """A block face (or part of one) during bisection: pieces are its buildings or households in number order."""

    __slots__ = ("face", "pieces", "doors", "x", "y")

    def __init__(self, face, pieces):
        self.face, self.pieces = face, pieces
        households = [h for piece in pieces for h in piece]
        self.doors = len(households)
        self.x = sum(h.x for h in households) / self.doors
        self.y = sum(h.y for h in households) / self.doors

    def households(self):
        return [h for piece in self.pieces for h in piece]


def _units(households, target: int, keep_buildings_whole: bool) -> list:
    faces: dict[tuple, list] = {}
    for h in households:
        faces.setdefault(h.face, []).append(h)
    units = []
    for face in sorted(faces, key=_safe_key):
        members = sorted(faces[face], key=Household.order_key)
        if not keep_buildings_whole:
            pieces = [[h] for h in members]
        else:
            pieces = []
            for _building, group in itertools.groupby(members, key=lambda h: h.building):
                group = list(group)
                # a building bigger than any turf may hold is cut into chunks of the target, in unit order
                limit = int(target * (1 + TOLERANCE))
                if len(group) > limit:
                    pieces.extend(group[i:i + target] for i in range(0, len(group), target))
                else:
                    pieces.append(group)
        units.append(_Unit(face, pieces))
    return units


def _band(sizes, remainder: bool, target: int):
    """The interval of door counts a node with these desired turf sizes may receive."""
    total = sum(sizes)
    slack = TOLERANCE if len(sizes) == 1 else next(
        (value for most, value in INNER_TOLERANCE if len(sizes) <= most), INNER_TOLERANCE_REST)
    lo_turf, hi_turf = target * (1 - slack), target * (1 + slack)
    low, high = 0.0, float("inf")
    normal = sizes[:-1] if remainder else sizes
    if normal:  # every normal turf scaled by actual/total must stay in [lo_turf, hi_turf]
        low, high = max(low, lo_turf * total / normal[0]), min(high, hi_turf * total / normal[0])
    if remainder:
        low, high = max(low, total / sizes[-1]), min(high, hi_turf * total / sizes[-1])
    return low, high


def _bisect(units, sizes, remainder: bool, target: int, out: list) -> None:
    while True:
        if len(sizes) == 1 or not units:
            out.append(units)
            return
        xs, ys = [u.x for u in units], [u.y for u in units]
        by_x = max(xs) - min(xs) >= max(ys) - min(ys)
        units.sort(key=(lambda u: (u.x, u.y, u.face)) if by_x else (lambda u: (u.y, u.x, u.face)))
        k1 = len(sizes) // 2
        left_sizes, right_sizes = sizes[:k1], sizes[k1:]
        doors = sum(u.doors for u in units)
        want = doors * sum(left_sizes) / sum(sizes)
        left_lo, left_hi = _band(left_sizes, False, target)
        right_lo, right_hi = _band(right_sizes, remainder, target)
        low, high = max(left_lo, doors - right_hi), min(left_hi, doors - right_lo)

        prefix = list(itertools.accumulate(u.doors for u in units))
        # in order of preference: a face boundary; whole faces swapped across the line; a face cut between
        # buildings; a building cut between units (balance wins over keeping a building whole, reported)
        cut = (_best_boundary(prefix, want, low, high)
               or _swap_near_cut(units, prefix, want, low, high)
               or _split_straddling(units, prefix, want, low, high, by_x)
               or _split_straddling(units, prefix, want, low, high, by_x, fine=True)
               or _nearest_boundary(prefix, want))
        left, right = units[:cut], units[cut:]
        _bisect(left, left_sizes, False, target, out)
        units, sizes = right, right_sizes  # the right half continues in this loop (no deep recursion)


def _best_boundary(prefix, want: float, low: float, high: float):
    """The face boundary (index b: faces [:b] go left) nearest `want` with prefix[b-1] in [low, high]."""
    first = bisect.bisect_left(prefix, low - 1e-9)
    last = bisect.bisect_right(prefix, high + 1e-9) - 1
    first, last = max(first, 0), min(last, len(prefix) - 2)  # both halves keep at least one face
    if first > last:
        return None
    at = min(max(bisect.bisect_left(prefix, want), first), last)
    best = min((b for b in (at - 1, at, at + 1) if first <= b <= last), key=lambda b: (abs(prefix[b] - want), b))
    return best + 1


def _swap_near_cut(units, prefix, want: float, low: float, high: float, reach: int = 4):
    """No face boundary balances (big buildings near the line): send a few whole faces next to the cut line
    to the other side instead of splitting a face. Among the faces within `reach` of the line, the subset
    sent left that fits the band with the fewest faces out of their sorted order wins. Returns the cut index
    after reordering `units`, or None."""
    at = bisect.bisect_left(prefix, want)
    a, b = max(0, at - reach), min(len(units), at + reach)
    base = prefix[a - 1] if a else 0
    window = units[a:b]
    best = None
    for mask in range(1 << len(window)):
        chosen = [i for i in range(len(window)) if mask >> i & 1]
        left = base + sum(window[i].doors for i in chosen)
        if not low - 1e-9 <= left <= high + 1e-9 or a + len(chosen) in (0, len(units)):
            continue
        out_of_order = sum(1 for i in chosen for j in range(i) if not mask >> j & 1)
        score = (out_of_order, abs(left - want), mask)
        if best is None or score < best[0]:
            best = (score, chosen)
    if best is None:
        return None
    chosen = set(best[1])
    units[a:b] = [window[i] for i in range(len(window)) if i in chosen] + \
                 [window[i] for i in range(len(window)) if i not in chosen]
    return a + len(chosen)


def _split_straddling(units, prefix, want: float, low: float, high: float, by_x: bool, fine: bool = False):
    """No whole-face cut balances: cut a face around `want` between its pieces (buildings, or households when
    `fine`), in house-number order oriented along the axis. Replaces the face in `units` by its two parts and
    returns the cut index, or None when no such cut is inside the band."""
    at = bisect.bisect_left(prefix, want)
    best = None
    for index in (at, at - 1, at + 1):
        if not 0 <= index < len(units):
            continue
        unit = units[index]
        pieces = [[h] for h in unit.households()] if fine else list(unit.pieces)
        if len(pieces) < 2:
            continue
        coord = (lambda p: sum(h.x for h in p) / len(p)) if by_x else (lambda p: sum(h.y for h in p) / len(p))
        if coord(pieces[0]) > coord(pieces[-1]):
            pieces.reverse()
        running = prefix[index - 1] if index else 0
        for c in range(1, len(pieces)):
            running += len(pieces[c - 1])
            if low - 1e-9 <= running <= high + 1e-9:
                score = (abs(running - want), index, c)
                if best is None or score < best[0]:
                    best = (score, index, c, pieces)
    if best is None:
        return None
    _, index, c, pieces = best
    face = units[index].face
    units[index:index + 1] = [_Unit(face, pieces[:c]), _Unit(face, pieces[c:])]
    return index + 1


def _nearest_boundary(prefix, want: float) -> int:
    """Last resort (a band no cut can meet): the face boundary nearest the share; the turf is reported."""
    return min(range(len(prefix) - 1), key=lambda i: (abs(prefix[i] - want), i), default=0) + 1


# ---------------------------------------------------------------------------------------------- cut

def cut(places, target: int = 50, keep_buildings_whole: bool = True, progress=None) -> CutResult:
    """Cut people into turfs of about `target` doors. Deterministic: the same people give the same turfs,
    whatever their order. `progress(percent, message)` is called now and then when given."""
    from .walk import walk_order  # sibling module; imported here to keep the two files independent to read

    if target < 1:
        raise ValueError("target must be at least 1")
    report = progress or (lambda pct, msg="": None)
    households, unplaced, unparsed = build_households(places)
    report(20, f"{len(households)} doors")
    projection = Projection.around((h.lat, h.lon) for h in households)
    for h in households:
        h.x, h.y = projection.xy(h.lat, h.lon)
    sizes, remainder = turf_sizes(len(households), target)
    leaves: list = []
    if households:
        _bisect(_units(households, target, keep_buildings_whole), sizes, remainder, target, leaves)
    report(60, f"{len(leaves)} turfs cut")
    turfs = []
    for number, leaf in enumerate(leaves, start=1):
        stops = walk_order([h for unit in leaf for h in unit.households()])
        turfs.append(Turf(number=number, stops=stops, distance_m=path_length_m((h.lat, h.lon) for h in stops),
                          remainder=remainder and number == len(leaves)))
    report(90, "walk order done")
    approximate = [ref for h in households if h.approximate for ref in h.refs]
    result = CutResult(turfs=turfs, unplaced=unplaced, unparsed=unparsed, approximate=approximate)
    result.stats = quality(result, target=target, people=len(places) if hasattr(places, "__len__") else None,
                           households=households)
    return result


def quality(result: CutResult, *, target: int, people=None, households=None) -> dict:
    """Doors per turf (min, median, max), walking distance per turf and in total, and what was not placed."""
    doors = [t.doors for t in result.turfs]
    distances = [round(t.distance_m, 1) for t in result.turfs]
    face_turfs: dict[tuple, set] = {}
    building_turfs: dict[tuple, set] = {}
    for t in result.turfs:
        for h in t.stops:
            face_turfs.setdefault(h.face, set()).add(t.number)
            building_turfs.setdefault(h.building, set()).add(t.number)
    out_of_band = [t.number for t in result.turfs
                   if not t.remainder and abs(t.doors - target) > TOLERANCE * target + 1e-9]
    summary = lambda values: ({"min": min(values), "median": statistics.median(values), "max": max(values)}
                              if values else {"min": 0, "median": 0, "max": 0})
    return {
        "target": target,
        "people": people if people is not None else sum(t.people for t in result.turfs) + len(result.unplaced),
        "households": sum(doors),
        "turfs": len(result.turfs),
        "doors": summary(doors),
        "remainder_turf": next((t.number for t in result.turfs if t.remainder), None),
        "out_of_band_turfs": out_of_band,
        "distance_m": {**summary(distances), "total": round(sum(t.distance_m for t in result.turfs), 1),
                       "per_turf": distances},
        "block_faces_split": sum(1 for turfs in face_turfs.values() if len(turfs) > 1),
        "buildings_split": sum(1 for turfs in building_turfs.values() if len(turfs) > 1),
        "approximate_people": len(result.approximate),
        "unparsed_people": len(result.unparsed),
        "unplaced_people": len(result.unplaced),
    }


def naive_cut(households, target: int = 50) -> list:
    """The baseline of the benchmark: sort doors by ZIP, street, number and unit, chunk by `target`, walk in
    that order. Returns the walking distance (metres) of each chunk."""
    ordered = sorted(households, key=lambda h: (h.zip, h.street, h.order_key()))
    return [path_length_m((h.lat, h.lon) for h in ordered[i:i + target]) for i in range(0, len(ordered), target)]
