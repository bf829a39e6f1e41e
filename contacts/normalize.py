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
from phonenumbers import phonenumberutil

DEFAULT_REGION = "US"


class _EmailValidator(EmailValidator):
    """Django's, remembering each domain's verdict (a list has few domains; the domain pattern is the dear part)."""

    def validate_domain_part(self, domain_part):
        return _domain_verdict(domain_part)


@lru_cache(maxsize=10_000)
def _domain_verdict(domain_part: str) -> bool:
    return EmailValidator.validate_domain_part(_email_validator, domain_part)


_email_validator = _EmailValidator()


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


# A US number written the usual ways ("+1 203-555-0100", "1 (203) 555-0100", "203.555.0100", "2035550100"):
# phonenumbers parses it to +1 and these ten digits, then finds its region by trying the NANP regions in order,
# the US first (checked below) by the whole number type; so when the US type is known, it is at once the region's
# verdict, the validity and number_type: one walk of the US metadata instead of parse, region lookup, validation
# and type (up to four walks). Anything else (Canada, the Caribbean, an invalid number, other formats) goes through the
# library. tests/contacts/test_normalize_fast.py compares the two on many numbers.
_NANP = re.compile(r"(?:\+?1[ .-]?)?(?:\(([2-9][0-9]{2})\) ?|([2-9][0-9]{2})[ .-]?)([0-9]{3})[ .-]?([0-9]{4})")
_US = phonenumbers.PhoneMetadata.metadata_for_region("US")
assert phonenumberutil.COUNTRY_CODE_TO_REGION_CODE[1][0] == "US" and _US.leading_digits is None


def _us_number(text: str) -> tuple[str, int] | None:
    """(E.164, phonenumbers type) of a valid US number in a usual format, else None (ask the library)."""
    match = _NANP.fullmatch(text)
    if match is None:
        return None
    national = (match[1] or match[2]) + match[3] + match[4]
    kind = phonenumberutil._number_type_helper(national, _US)
    return None if kind == phonenumbers.PhoneNumberType.UNKNOWN else ("+1" + national, kind)


@lru_cache(maxsize=20_000)  # a re-sent list parses each number once
def parse_phone(raw: str, declared_type: str | None = None, region: str = DEFAULT_REGION) -> Phone:
    text = (raw or "").strip()
    found = _us_number(text) if region == "US" else None
    if found is None:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            raise InvalidValue(f"{raw!r} is not a phone number")
        # number_type is UNKNOWN exactly when is_valid_number is false (both type the number against its
        # region's metadata): one call answers both
        kind = phonenumbers.number_type(number)
        if kind == phonenumbers.PhoneNumberType.UNKNOWN:
            raise InvalidValue(f"{raw!r} is not a valid phone number")
        found = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), kind
    e164, kind = found
    return Phone(e164, declared_type or PHONE_TYPES.get(kind, "unknown"))


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


def preload() -> None:
    """Load now what the first values would (the ZIP code table, half a second of CPU; the libraries' patterns):
    for a server process whose workers should start warm (config/wsgi.py)."""
    normalize_email("someone@example.org")
    parse_phone("(203) 555-0142")
    parse_phone("+44 20 7946 0958")
    parse_address(line1="12 Main Street Apt 4", postal_code="06103")


@lru_cache(maxsize=50_000)
def zip_centroid(postal_code: str) -> tuple[float, float] | None:
    try:
        found = zipcodes.matching(postal_code[:5])
    except (TypeError, ValueError):
        return None
    if not found or not found[0].get("lat"):
        return None
    return float(found[0]["lat"]), float(found[0]["long"])


# usaddress labels tokens with a CRF whose only input is each token's features (usaddress.tokenFeatures: the
# lower-cased word, or for digits only their count and trailing zeros; punctuation...) and its neighbours'. Tokens
# with the same features get the same labels, so the labels are remembered per sequence of canonical tokens:
# "12 Main St" and "48 MAIN ST" are tagged once. tests/contacts/test_normalize_fast.py checks that canonical tokens
# have the library's features and that _tag_address answers as usaddress.tag on many addresses.
_ENDS_IN_PUNCT = re.compile(r".+[^.\w]")  # usaddress's test for the "endsinpunc" feature (the last character)


def _canonical_token(token: str) -> str:
    if not token.isascii():
        return token
    if token.isdigit():
        zeros = len(token) - len(token.rstrip("0"))
        return "1" * (len(token) - zeros) + "0" * zeros
    if _ENDS_IN_PUNCT.match(token):  # the feature keeps the last character as written
        return token[:-1].lower() + token[-1]
    return token.lower()


# usaddress.tokenize, its patterns compiled once (it builds its flags, an enum, on every call: a third of its cost)
_ENTITIES = re.compile("(&#38;)|(&amp;)")
_TOKENS = re.compile(r"""
    \(*\b[^\s,;#&()]+[.,;)\n]*   # ['ab. cd,ef '] -> ['ab.', 'cd,', 'ef']
    |
    [#&]                       # [^'#abc'] -> ['#']
    """, re.VERBOSE | re.UNICODE)


def _tokenize(text: str) -> list[str]:
    return _TOKENS.findall(_ENTITIES.sub("&", text))


@lru_cache(maxsize=20_000)
def _labels(tokens: tuple) -> tuple:
    return tuple(usaddress.TAGGER.tag(usaddress.tokens2features(list(tokens))))


def _tag_address(text: str) -> tuple[dict, str]:
    """usaddress.tag(text) (its grouping of labelled tokens, without a tag mapping), the labels remembered."""
    tokens = _tokenize(text)
    labels = _labels(tuple(map(_canonical_token, tokens))) if tokens else ()
    components, seen, last, intersection = {}, [], None, False
    for token, label in zip(tokens, labels):
        if label == "IntersectionSeparator":
            intersection = True
        if "StreetName" in label and intersection:
            label = "Second" + label
        seen.append(label)
        if label == last:
            components[label].append(token)
        elif label not in components:
            components[label] = [token]
        else:
            raise usaddress.RepeatedLabelError(text, list(zip(tokens, labels)), label)
        last = label
    tags = {label: " ".join(words).strip(" ,;") for label, words in components.items()}
    if "AddressNumber" in seen and not intersection:
        kind = "Street Address"
    elif intersection and "AddressNumber" not in seen:
        kind = "Intersection"
    elif "USPSBoxID" in seen:
        kind = "PO Box"
    else:
        kind = "Ambiguous"
    return tags, kind


_ZIP = re.compile(r"\d{5}(-\d{4})?")


def parse_address(*, line1: str = "", line2: str = "", city: str = "", state: str = "", postal_code: str = "",
                  latitude=None, longitude=None) -> Address:
    postal_code = (postal_code or "").strip()
    if postal_code and not _ZIP.fullmatch(postal_code):
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

_ASCII_NOT_ALNUM = str.maketrans("", "", "".join(chr(c) for c in range(128) if not chr(c).isalnum()))


def name_key(value: str) -> str:
    """Accents, case, punctuation and spaces removed: "José O'Brien" -> "joseobrien". For matching only."""
    value = value or ""
    if value.isascii():  # NFKD leaves ASCII as it is: the same key, without a loop over the characters
        return value.translate(_ASCII_NOT_ALNUM).lower()
    decomposed = unicodedata.normalize("NFKD", value)
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
