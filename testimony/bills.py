"""Bill numbers as the General Assembly writes them, normalised so one bill has one spelling (pure).

"hb5001", "H.B. 5001", "HB 05001" and "House Bill 5001" are all "HB 5001"; Senate bills (SB) and House and
Senate joint resolutions (HJ, SJ; "H.J.R." and "HJR" too) work the same way.
"""
import re

PREFIXES = {
    "HB": "HB", "HOUSEBILL": "HB",
    "SB": "SB", "SENATEBILL": "SB",
    "HJ": "HJ", "HJR": "HJ", "HOUSEJOINTRESOLUTION": "HJ",
    "SJ": "SJ", "SJR": "SJ", "SENATEJOINTRESOLUTION": "SJ",
}
_PATTERN = re.compile(r"([A-Z]+?)(?:NO)?(\d{1,5})")


class InvalidBillNumber(ValueError):
    pass


def normalize_bill_number(raw: str) -> str:
    """The canonical form "HB 5001" (prefix, one space, the number without leading zeros)."""
    compact = re.sub(r"[\s.\-_#]", "", (raw or "").upper())
    match = _PATTERN.fullmatch(compact)
    if not match or match.group(1) not in PREFIXES or int(match.group(2)) == 0:
        raise InvalidBillNumber(f"{raw!r} is not a bill number (like HB 5001, SB 1, HJ 10 or SJ 2)")
    return f"{PREFIXES[match.group(1)]} {int(match.group(2))}"
