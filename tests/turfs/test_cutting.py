"""The pure turf algorithms (turfs.addresses, turfs.cutting, turfs.walk): no database, no HTTP."""
import math
import random

import pytest

from turfs.addresses import normalise_street, normalise_unit, parse_line, parse_number, unit_sort_key
from turfs.cutting import Place, build_households, cut, naive_cut, turf_sizes
from turfs.geo import haversine_m, path_length_m
from turfs.synthetic import town
from turfs.walk import street_walk, walk_order

LAT, LON = 41.7637, -72.6851


def offset(east_m, north_m):
    return LAT + north_m / 111_132.0, LON + east_m / (111_132.0 * math.cos(math.radians(LAT)))


def place(ref, number, street, unit="", zip_code="06106", east=0.0, north=0.0, precision="exact", **extra):
    lat, lon = offset(east, north)
    return Place(ref=ref, number=str(number), street=street, unit=unit, zip=zip_code, lat=lat, lon=lon,
                 precision=precision, **extra)


@pytest.fixture(scope="module")
def town_10k():
    return town(10_000)


@pytest.fixture(scope="module")
def cut_10k(town_10k):
    return cut(town_10k, 50)


def turf_keys(result):
    return [[h.key for h in turf.stops] for turf in result.turfs]


# --------------------------------------------------------------------------------------------- addresses

def test_street_spellings_normalise_to_one_form():
    assert normalise_street("Main Street") == normalise_street("MAIN ST.") == "MAIN ST"
    assert normalise_street("north elm avenue") == "N ELM AVE"
    assert normalise_street("North Street") == "NORTH ST"  # a street named North keeps its name
    assert normalise_street("Elm Street West") == "ELM ST W"


def test_numbers_units_and_free_text():
    assert parse_number("12") == (12, "")
    assert parse_number("12b") == (12, "B")
    assert parse_number("12-14") == (12, "")
    assert parse_number("rear") is None
    assert normalise_unit("Apt 3b") == normalise_unit("#3B") == normalise_unit("unit 3B") == "3B"
    assert sorted(["10", "2", "B", "1A"], key=unit_sort_key) == ["1A", "2", "10", "B"]
    parsed = parse_line("55 Farmington Avenue Apt 4")
    assert (parsed.number, parsed.street, parsed.unit) == ("55", "Farmington Avenue", "4")
    assert parse_line("PO Box 12") is None


# --------------------------------------------------------------------------------------------- households

def test_people_at_one_address_are_one_door_and_units_are_doors_of_one_building():
    places = [
        place("a", "12", "Main Street", "Apt 3"),
        place("b", "12", "MAIN ST", "#3"),
        place("c", "12", "Main St", "4"),
        place("d", "14", "Main St"),
        place("e", "12", "Main St", "3", zip_code="06105"),  # another ZIP: another door
    ]
    households, unplaced, unparsed = build_households(places)
    assert unplaced == [] and unparsed == []
    doors = {h.label + " " + h.zip: sorted(h.refs) for h in households}
    assert doors == {"12 MAIN ST #3 06106": ["a", "b"], "12 MAIN ST #4 06106": ["c"], "14 MAIN ST 06106": ["d"],
                     "12 MAIN ST #3 06105": ["e"]}
    by_ref = {ref: h for h in households for ref in h.refs}
    assert by_ref["a"].building == by_ref["c"].building != by_ref["d"].building
    assert by_ref["a"].face == by_ref["d"].face  # same side (even) of the 0-99 block of Main St


def test_unplaced_and_unparsed_people_are_reported_never_dropped():
    places = [
        place("ok", "10", "Elm St"),
        Place(ref="nowhere", line="somewhere", precision="none"),
        Place(ref="no-zip", number="5", street="Oak St"),  # parsed, but no coordinates at all
        place("zip-only", "", "", line="the blue house by the church", precision="zip_centroid"),
        place("free-text", "", "", line="40 Oak Street", east=50),
    ]
    result = cut(places, 5)
    placed = sorted(ref for turf in result.turfs for h in turf.stops for ref in h.refs)
    assert placed == ["free-text", "ok", "zip-only"]
    assert sorted(u.ref for u in result.unplaced) == ["no-zip", "nowhere"]
    assert result.unparsed == ["zip-only"]  # "40 Oak Street" was parsed from the line by usaddress
    assert result.approximate == ["zip-only"]
    assert result.stats["unplaced_people"] == 2 and result.stats["approximate_people"] == 1
    assert result.stats["people"] == len(places)


def test_a_unit_without_coordinates_takes_its_buildings():
    places = [place("exact", "20", "Pine St", "1", east=300),
              place("approx", "20", "Pine St", "2", precision="zip_centroid")]
    households, _, _ = build_households(places)
    assert [(h.approximate, round(h.lon, 6)) for h in households] == [(False, round(offset(300, 0)[1], 6))] * 2


# --------------------------------------------------------------------------------------------- sizes & balance

def test_turf_sizes_are_equal_when_they_can_be_and_else_leave_one_remainder():
    assert turf_sizes(10_000, 50) == ([50.0] * 200, False)
    assert turf_sizes(101, 50) == ([50.5, 50.5], False)
    assert turf_sizes(130, 50) == ([50.0, 50.0, 30.0], True)
    assert turf_sizes(7, 50) == ([7.0], True)
    assert turf_sizes(0, 50) == ([], False)


@pytest.mark.parametrize("target,keep_whole", [(50, True), (50, False), (20, True), (80, True), (137, False)])
def test_every_turf_is_within_20_percent_of_the_target(town_10k, target, keep_whole):
    result = cut(town_10k, target, keep_buildings_whole=keep_whole)
    assert result.stats["out_of_band_turfs"] == []
    for turf in result.turfs:
        assert turf.remainder or abs(turf.doors - target) <= 0.2 * target, (turf.number, turf.doors)
    assert sum(t.doors for t in result.turfs) == result.stats["households"]


def test_a_small_segment_gets_one_remainder_turf():
    places = [place(f"p{i}", 100 + 2 * i, "Oak St", east=10 * i) for i in range(130)]
    result = cut(places, 50)
    doors = sorted(t.doors for t in result.turfs)
    assert doors == [30, 50, 50]
    assert [t.remainder for t in result.turfs].count(True) == 1
    assert result.stats["remainder_turf"] is not None


def test_the_cut_is_deterministic_whatever_the_input_order(town_10k):
    shuffled = list(town_10k[:4000])
    random.Random(3).shuffle(shuffled)
    first, second = cut(town_10k[:4000], 50), cut(shuffled, 50)
    assert turf_keys(first) == turf_keys(second)
    assert first.stats == second.stats


# --------------------------------------------------------------------------------------------- block faces, buildings

def test_block_faces_are_not_split_when_whole_faces_balance():
    """Six block faces of 10 doors, target 30: two turfs of three whole faces each."""
    places = [place(f"{street}-{n}", n, street, east=x0 + 10 * (n - 100) / 2, north=north)
              for street, x0, north in (("Ash St", 0, 0), ("Ash St", 1000, 0), ("Elm St", 0, 100),
                                        ("Elm St", 1000, 100), ("Oak St", 0, 200), ("Oak St", 1000, 200))
              for n in (range(100, 120, 2) if x0 == 0 else range(500, 520, 2))]
    result = cut(places, 30)
    assert sorted(t.doors for t in result.turfs) == [30, 30]
    assert result.stats["block_faces_split"] == 0
    for turf in result.turfs:  # the two halves of town: one turf west, one east
        assert len({h.number // 100 for h in turf.stops}) == 1


def test_the_town_cut_keeps_faces_and_buildings_whole(cut_10k):
    stats = cut_10k.stats
    assert stats["buildings_split"] == 0
    assert stats["block_faces_split"] <= stats["turfs"] // 20


def test_turfs_are_compact(cut_10k):
    """In a 100 m grid, a turf of 50 doors spans a few blocks, never a strip across town."""
    for turf in cut_10k.turfs:
        xs, ys = [h.x for h in turf.stops], [h.y for h in turf.stops]
        assert math.hypot(max(xs) - min(xs), max(ys) - min(ys)) < 500, turf.number


def test_a_building_bigger_than_a_turf_is_cut_in_unit_order_and_balance_holds():
    places = [place(f"u{u}", "300", "Tower Ave", str(u)) for u in range(1, 131)]
    places += [place(f"h{n}", n, "Tower Ave", east=20 * (n - 300)) for n in range(302, 322, 2)]
    result = cut(places, 50)
    assert all(t.remainder or 40 <= t.doors <= 60 for t in result.turfs)
    for turf in result.turfs:
        units = [int(h.unit) for h in turf.stops if h.unit]
        assert units == sorted(units)


def test_without_keep_whole_buildings_may_be_split_for_balance(town_10k):
    whole, loose = cut(town_10k, 20, keep_buildings_whole=True), cut(town_10k, 20, keep_buildings_whole=False)
    assert whole.stats["buildings_split"] <= loose.stats["buildings_split"]


# --------------------------------------------------------------------------------------------- walk order

def test_one_street_is_walked_up_one_side_and_back_down_the_other():
    places = [place(f"p{n}", n, "Oak St", east=5 * n) for n in (101, 108, 103, 102, 110)]
    places += [place("apt2", 104, "Oak St", "2", east=520), place("apt10", 104, "Oak St", "10", east=520),
               place("apt1", 104, "Oak St", "1", east=520)]
    households, _, _ = build_households(places)
    assert [h.label for h in street_walk(households)] == [
        "101 OAK ST", "103 OAK ST", "110 OAK ST", "108 OAK ST", "104 OAK ST #1", "104 OAK ST #2", "104 OAK ST #10",
        "102 OAK ST"]


def test_walk_order_goes_street_by_street_with_sides_in_order(cut_10k):
    for turf in cut_10k.turfs:
        seen, previous = [], None
        for h in turf.stops:
            if h.street != previous:
                assert h.street not in seen, f"turf {turf.number} comes back to {h.street}"
                seen.append(h.street)
                previous = h.street
        for street in seen:
            stops = [h for h in turf.stops if h.street == street]
            odd = [h.number for h in stops if h.number % 2]
            even = [h.number for h in stops if not h.number % 2]
            parities = [h.number % 2 for h in stops]
            assert parities == sorted(parities, reverse=True)  # odd side first, then even
            assert odd == sorted(odd)  # the first side ascending
            assert even == sorted(even, reverse=bool(odd))  # the return side descending; a lone side ascending


def test_street_order_is_a_short_path():
    """Four one-sided streets in a row, given out of order: nearest neighbour + 2-opt walks them in line."""
    places = [place(f"{s}-{n}", n, f"S{s} St", east=400 * s + 5 * (n - 101), north=0)
              for s in (2, 0, 3, 1) for n in range(101, 121, 2)]
    households, _, _ = build_households(places)
    streets = []
    for h in walk_order(households):
        if not streets or streets[-1] != h.street:
            streets.append(h.street)
    assert streets in (["S0 ST", "S1 ST", "S2 ST", "S3 ST"], ["S3 ST", "S2 ST", "S1 ST", "S0 ST"])


# --------------------------------------------------------------------------------------------- quality

def test_quality_report_matches_the_turfs(cut_10k):
    stats = cut_10k.stats
    doors = sorted(t.doors for t in cut_10k.turfs)
    assert stats["turfs"] == len(cut_10k.turfs) == 200
    assert (stats["doors"]["min"], stats["doors"]["max"]) == (doors[0], doors[-1])
    assert stats["doors"]["median"] == (doors[99] + doors[100]) / 2
    turf = cut_10k.turfs[0]
    assert turf.distance_m == pytest.approx(path_length_m((h.lat, h.lon) for h in turf.stops))
    assert stats["distance_m"]["total"] == pytest.approx(sum(t.distance_m for t in cut_10k.turfs), abs=1)
    assert stats["distance_m"]["per_turf"][0] == pytest.approx(turf.distance_m, abs=0.1)


def test_cut_walks_at_least_1_5x_shorter_than_the_naive_cut(town_10k, cut_10k):
    households, _, _ = build_households(town_10k)
    naive = sum(naive_cut(households, 50))
    assert naive / cut_10k.stats["distance_m"]["total"] >= 1.5


def test_haversine():
    assert haversine_m(41.0, -72.0, 41.0, -72.0) == 0
    assert haversine_m(41.0, -72.0, 42.0, -72.0) == pytest.approx(111_195, rel=1e-3)


def test_target_must_be_positive():
    with pytest.raises(ValueError):
        cut([place("a", 1, "Elm St")], 0)
