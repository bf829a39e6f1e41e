"""The committee's posted speaker order: parsing pasted text, matching names to witnesses, estimating times
(pure; services.speaker_order_import stores the result).
"""
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from contacts.normalize import name_key, similar_names

_NUMBERING = re.compile(r"^\s*(?:#\s*)?\d{1,4}\s*[.):\-]?\s+")
QUEUE_THRESHOLDS = (10, 5, 2)  # "about N speakers before you" goes out when the queue ahead shrinks past these


def parse_order(text: str) -> list[tuple[int, str]]:
    """(position, name) for each speaker of a pasted or uploaded order. Numbered lines ("1.", "2)", "#3 ") keep
    their numbers and unnumbered lines (headings) are dropped; without any numbering each line is the next
    speaker. Tab- or comma-separated extra columns (a town, an organization) are dropped."""
    numbered, plain = [], []
    for line in (text or "").splitlines():
        number = _NUMBERING.match(line)
        name = _NUMBERING.sub("", line.strip()).split("\t")[0]
        if name.count(",") >= 2:  # "Jane Doe, Hartford, Parent": keep the name column
            name = name.split(",")[0]
        name = " ".join(name.split())
        if not name_key(name):
            continue
        plain.append(name)
        if number:
            numbered.append((int(re.sub(r"\D", "", number.group(0))), name))
    if numbered:
        return sorted(dict(numbered).items())
    return list(enumerate(plain, start=1))


def split_name(full: str) -> tuple[str, str]:
    """("Jane", "Doe") from "Jane Doe", "Doe, Jane" or "Jane Q. Doe"."""
    if "," in full:
        family, given = (part.strip() for part in full.split(",", 1))
        return given.split()[0] if given.split() else "", family
    parts = full.split()
    if len(parts) == 1:
        return "", parts[0]
    return parts[0], parts[-1]


@dataclass
class Candidate:
    key: object          # the witness (a testimony id)
    given_name: str
    family_name: str


@dataclass
class Match:
    position: int
    name: str
    key: object = None
    rule: str = ""                                   # exact | fuzzy
    ambiguous: list = field(default_factory=list)    # keys of witnesses that fit equally well


def match_names(entries: list[tuple[int, str]], candidates: list[Candidate]) -> list[Match]:
    """Each posted (position, name) to at most one witness, and each witness at most once.
    Exact: the whole name without accents, case or punctuation. Fuzzy: the same family name and a given name
    spelled alike (Jon/John, Ana/Anna) or an initial. Two equally good candidates leave the name unmatched, for
    a person to review."""
    keyed = [(c, name_key(c.given_name + c.family_name), name_key(c.family_name)) for c in candidates]
    by_family: dict[str, list] = {}
    for item in keyed:
        by_family.setdefault(item[2], []).append(item)
    by_full = {}
    for item in keyed:
        by_full.setdefault(item[1], []).append(item)
    taken = set()
    matches = []
    for position, name in entries:
        given, family = split_name(name)
        keys = {name_key(name), name_key(given + family)}
        exact = [c for key in keys for c, _, _ in by_full.get(key, []) if c.key not in taken]
        exact = list({id(c): c for c in exact}.values())
        family_key = name_key(family)
        fuzzy = [c for c, _, _ in by_family.get(family_key, []) if family_key and c.key not in taken
                 and similar_names(given, c.given_name)]
        found, rule = (exact, "exact") if exact else (fuzzy, "fuzzy")
        match = Match(position, name)
        if len(found) == 1:
            match.key, match.rule = found[0].key, rule
            taken.add(found[0].key)
        elif found:
            match.ambiguous = [c.key for c in found]
        matches.append(match)
    return matches


def estimated_start(starts_at: datetime, position: int, officials_minutes: int, minutes_per_speaker: int) -> datetime:
    """Reserved officials' time, then minutes per speaker for each public speaker ahead."""
    return starts_at + timedelta(minutes=officials_minutes + minutes_per_speaker * (position - 1))


def thresholds_crossed(before: int | None, after: int) -> list[int]:
    """The queue thresholds passed when the speakers ahead went from `before` to `after`."""
    return [t for t in QUEUE_THRESHOLDS if after <= t and (before is None or before > t)]
