"""Pure normalisation of people data: emails, phones, US addresses and names (no database, no HTTP).

Each parser raises `InvalidValue` with a message meant for the caller; the API reports it against the field.
"""
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
import usaddress
import zipcodes
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

DEFAULT_REGION = "US"
_email_validator = EmailValidator()


class InvalidValue(ValueError):
    pass


# ---- emails ----------------------------------------------------------------------------------------------

def normalize_email(raw: str) -> str:
    """Trimmed, with the domain lower-cased (the local part is kept: RFC 5321 lets it be case-sensitive).
    Matching compares the normalised form case-insensitively (contacts.models.ContactEmail)."""
    value = (raw or "").strip()
    try:
        _email_validator(value)
    except ValidationError:
        raise InvalidValue(f"{raw!r} is not a valid email address")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


# ---- phones ----------------------------------------------------------------------------------------------

PHONE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE: "landline",
    phonenumbers.PhoneNumberType.VOIP: "voip",
}


@dataclass(frozen=True)
class Phone:
    e164: str
    type: str  # mobile | landline | voip | unknown (US numbers are usually "fixed line or mobile")


@lru_cache(maxsize=20_000)  # a re-sent list parses each number once; phonenumbers is slow (~0.1 ms a number)
def parse_phone(raw: str, declared_type: str | None = None, region: str = DEFAULT_REGION) -> Phone:
    try:
        number = phonenumbers.parse((raw or "").strip(), region)
    except phonenumbers.NumberParseException:
        raise InvalidValue(f"{raw!r} is not a phone number")
    if not phonenumbers.is_valid_number(number):
        raise InvalidValue(f"{raw!r} is not a valid phone number")
    # number_type is as dear as parsing: only ask when the caller did not say
    kind = declared_type or PHONE_TYPES.get(phonenumbers.number_type(number), "unknown")
    return Phone(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), kind)


# ---- addresses -------------------------------------------------------------------------------------------

STREET_SUFFIXES = {
    "STREET": "ST", "AVENUE": "AVE", "ROAD": "RD", "DRIVE": "DR", "BOULEVARD": "BLVD", "LANE": "LN",
    "COURT": "CT", "PLACE": "PL", "TERRACE": "TER", "PARKWAY": "PKWY", "CIRCLE": "CIR", "HIGHWAY": "HWY",
    "SQUARE": "SQ", "TURNPIKE": "TPKE", "WAY": "WAY",
}
DIRECTIONS = {"NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W", "NORTHEAST": "NE", "NORTHWEST": "NW",
              "SOUTHEAST": "SE", "SOUTHWEST": "SW"}


@dataclass(frozen=True)
class Address:
    line1: str
    line2: str
    city: str
    state: str
    postal_code: str
    number: str
    street: str        # normalised: upper case, standard suffix and direction abbreviations
    unit: str
    latitude: float | None
    longitude: float | None
    precision: str     # exact | zip_centroid | none
    parsed: bool       # False when usaddress could not read line1 (placed by ZIP when possible)

    @property
    def household_key(self) -> str:
        """One door: number, street, unit, ZIP. Empty when there is no house number to knock on."""
        if not (self.number and self.street and self.postal_code):
            return ""
        return "|".join([self.number, self.street, self.unit, self.postal_code[:5]])


def _normalize_street(words: list[str]) -> str:
    out = []
    for word in " ".join(words).upper().replace(".", "").split():
        out.append(STREET_SUFFIXES.get(word) or DIRECTIONS.get(word) or word)
    return " ".join(out)


@lru_cache(maxsize=50_000)
def zip_centroid(postal_code: str) -> tuple[float, float] | None:
    try:
        found = zipcodes.matching(postal_code[:5])
    except (TypeError, ValueError):
        return None
    if not found or not found[0].get("lat"):
        return None
    return float(found[0]["lat"]), float(found[0]["long"])


@lru_cache(maxsize=20_000)
def _tag_address(text: str):
    """usaddress.tag, remembered (a re-sent list tags each line once). Callers only read the tags."""
    return usaddress.tag(text)


def parse_address(*, line1: str = "", line2: str = "", city: str = "", state: str = "", postal_code: str = "",
                  latitude=None, longitude=None) -> Address:
    postal_code = (postal_code or "").strip()
    if postal_code and not re.fullmatch(r"\d{5}(-\d{4})?", postal_code):
        raise InvalidValue(f"{postal_code!r} is not a US ZIP code")
    if (latitude is None) != (longitude is None):
        raise InvalidValue("give both latitude and longitude, or neither")
    if latitude is not None and not (-90 <= float(latitude) <= 90 and -180 <= float(longitude) <= 180):
        raise InvalidValue("latitude/longitude out of range")
    number = street = unit = ""
    parsed = False
    text = " ".join(part for part in (line1, line2) if part).strip()
    if text:
        try:
            tags, kind = _tag_address(text)
            parsed = kind == "Street Address" and "AddressNumber" in tags
        except usaddress.RepeatedLabelError:
            tags = {}
        if parsed:
            number = tags.get("AddressNumber", "").upper()
            street = _normalize_street([tags.get(k, "") for k in (
                "StreetNamePreDirectional", "StreetNamePreType", "StreetName", "StreetNamePostType",
                "StreetNamePostDirectional") if tags.get(k)])
            unit = " ".join(tags.get(k, "") for k in ("OccupancyIdentifier", "SubaddressIdentifier")
                            if tags.get(k)).upper().lstrip("#")
    if latitude is not None:
        lat, lon, precision = float(latitude), float(longitude), "exact"
    elif postal_code and (centroid := zip_centroid(postal_code)):
        (lat, lon), precision = centroid, "zip_centroid"
    else:
        lat = lon = None
        precision = "none"
    return Address(line1=(line1 or "").strip(), line2=(line2 or "").strip(), city=(city or "").strip(),
                   state=(state or "").strip().upper(), postal_code=postal_code, number=number, street=street,
                   unit=unit, latitude=lat, longitude=lon, precision=precision, parsed=parsed)


# ---- names -----------------------------------------------------------------------------------------------

def name_key(value: str) -> str:
    """Accents, case, punctuation and spaces removed: "José O'Brien" -> "joseobrien". For matching only."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch)).casefold()


def similar_names(a: str, b: str) -> bool:
    """Fuzzy spelling of one given name (Jon/John, Catherine/Katherine, Ana/Anna) or an initial (J/John)."""
    from difflib import SequenceMatcher

    a, b = name_key(a), name_key(b)
    if not a or not b:
        return False
    if a == b or (len(a) == 1 and b.startswith(a)) or (len(b) == 1 and a.startswith(b)):
        return True
    return SequenceMatcher(None, a, b).ratio() >= 0.75


def clearly_different_given_names(a: str, b: str) -> bool:
    """Two given names that belong to different people (a parent and a child sharing one email)."""
    return bool(name_key(a)) and bool(name_key(b)) and not similar_names(a, b)
