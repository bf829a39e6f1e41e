"""Normalised address parts for grouping doors: house number, street, unit, ZIP.

Two spellings of one address must give one door ("12 Main Street Apt 3" and "12 MAIN ST #3"), so streets are
upper-cased, stripped of punctuation, and their suffixes and directionals reduced to the USPS abbreviations;
units lose their designator ("Apt", "Unit", "#"). A raw line that has no parts yet is parsed with usaddress.
"""
import re
from dataclasses import dataclass
from functools import lru_cache

import usaddress

SUFFIXES = {
    "STREET": "ST", "STR": "ST", "AVENUE": "AVE", "AV": "AVE", "AVEN": "AVE", "AVN": "AVE", "ROAD": "RD",
    "DRIVE": "DR", "DRV": "DR", "LANE": "LN", "BOULEVARD": "BLVD", "BOUL": "BLVD", "COURT": "CT", "PLACE": "PL",
    "TERRACE": "TER", "TERR": "TER", "CIRCLE": "CIR", "PARKWAY": "PKWY", "PKY": "PKWY", "HIGHWAY": "HWY",
    "TURNPIKE": "TPKE", "TPK": "TPKE", "SQUARE": "SQ", "TRAIL": "TRL", "WAY": "WAY", "ALLEY": "ALY",
    "EXTENSION": "EXT", "HEIGHTS": "HTS", "POINT": "PT", "CRESCENT": "CRES", "ROW": "ROW", "WALK": "WALK",
}
DIRECTIONS = {"NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W", "NORTHEAST": "NE", "NORTHWEST": "NW",
              "SOUTHEAST": "SE", "SOUTHWEST": "SW"}
UNIT_WORDS = {"APT", "APARTMENT", "UNIT", "STE", "SUITE", "FL", "FLOOR", "RM", "ROOM", "NO", "NUMBER", "BLDG", "#"}

_NUMBER = re.compile(r"^\s*(\d+)\s*([A-Z]?)(?:\s*[-/]\s*\d*[A-Z]?)?\s*$")
_NOT_WORD = re.compile(r"[^A-Z0-9 ]+")
_DIGITS = re.compile(r"(\d+)")


@lru_cache(maxsize=65536)
def normalise_street(street: str) -> str:
    """'Main Street' -> 'MAIN ST'; 'north  elm avenue' -> 'N ELM AVE'."""
    words = _NOT_WORD.sub(" ", (street or "").upper()).split()
    if not words:
        return ""
    if len(words) >= 3 and words[0] in DIRECTIONS:
        words[0] = DIRECTIONS[words[0]]
    if len(words) >= 3 and words[-1] in DIRECTIONS:
        words[-1] = DIRECTIONS[words[-1]]
    suffix_at = len(words) - 2 if len(words) >= 3 and words[-1] in DIRECTIONS.values() else len(words) - 1
    if suffix_at >= 1:
        words[suffix_at] = SUFFIXES.get(words[suffix_at], words[suffix_at])
    out = words
    return " ".join(out)


@lru_cache(maxsize=65536)
def parse_number(number: str) -> tuple[int, str] | None:
    """'12' -> (12, ''), '12a' -> (12, 'A'), '12-14' -> (12, ''); None when there is no house number."""
    match = _NUMBER.match((number or "").upper())
    if not match:
        return None
    return int(match.group(1)), match.group(2)


@lru_cache(maxsize=65536)
def normalise_unit(unit: str) -> str:
    """'Apt 3b' -> '3B', '#3' -> '3', 'Unit 12' -> '12'."""
    words = _NOT_WORD.sub(" ", (unit or "").upper().replace("#", " # ")).split()
    while words and words[0] in UNIT_WORDS:
        words = words[1:]
    return " ".join(words)


def unit_sort_key(unit: str) -> tuple:
    """Natural order of units: '2' < '10' < '10A' < 'B'."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in _DIGITS.split(unit) if part)


@lru_cache(maxsize=65536)
def normalise_zip(postal_code: str) -> str:
    digits = re.sub(r"\D", "", postal_code or "")
    return digits[:5] if len(digits) >= 5 else ""


@dataclass(frozen=True)
class ParsedLine:
    number: str
    street: str
    unit: str


def parse_line(line1: str, line2: str = "") -> ParsedLine | None:
    """Number, street and unit from free text with usaddress; None when it has no house number and street."""
    text = " ".join(part for part in (line1 or "", line2 or "") if part.strip())
    if not text.strip():
        return None
    try:
        tagged, _kind = usaddress.tag(text)
    except usaddress.RepeatedLabelError:
        return None
    street = " ".join(tagged.get(label, "") for label in (
        "StreetNamePreDirectional", "StreetNamePreType", "StreetName", "StreetNamePostType",
        "StreetNamePostDirectional") if tagged.get(label))
    number = tagged.get("AddressNumber", "")
    unit = tagged.get("OccupancyIdentifier", "")
    if not number or not street or parse_number(number) is None:
        return None
    return ParsedLine(number=number, street=street, unit=unit)
