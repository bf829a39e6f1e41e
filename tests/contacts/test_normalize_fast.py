"""The shortcuts of contacts.normalize must answer exactly as the general way: parse_phone's US fast path as
phonenumbers (parse, is_valid_number, number_type, E.164), _tag_address as usaddress.tag, name_key's ASCII path as
its Unicode one."""
import random
import string
import unicodedata

import phonenumbers
import pytest
import usaddress

from contacts.normalize import (PHONE_TYPES, InvalidValue, _canonical_token, _tag_address, _tokenize, name_key,
                               parse_phone)

# ---- phones ----------------------------------------------------------------------------------------------------


def _library_phone(raw, declared=None, region="US"):
    """What parse_phone answered before the fast path: the library's verdict, step by step."""
    try:
        number = phonenumbers.parse((raw or "").strip(), region)
    except phonenumbers.NumberParseException:
        return "not a phone number"
    if not phonenumbers.is_valid_number(number):
        return "not a valid phone number"
    kind = declared or PHONE_TYPES.get(phonenumbers.number_type(number), "unknown")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), kind


def _ours(raw, declared=None, region="US"):
    try:
        phone = parse_phone.__wrapped__(raw, declared, region)  # not the cache
    except InvalidValue as exc:
        return str(exc).split(" is ", 1)[1]
    return phone.e164, phone.type


US_FORMATS = ["{a}{b}{c}", "{a}-{b}-{c}", "({a}) {b}-{c}", "({a}){b}-{c}", "{a}.{b}.{c}", "{a} {b} {c}",
              "+1{a}{b}{c}", "+1 {a}-{b}-{c}", "+1 ({a}) {b}-{c}", "+1-{a}-{b}-{c}", "+1.{a}.{b}.{c}", "1{a}{b}{c}",
              "1-{a}-{b}-{c}", "1 ({a}) {b} {c}", "1 {a} {b} {c}", " {a}-{b}-{c} ", "({a}) {b} {c}",
              "+1 {a} {b}{c}", "{a}-{b}{c}", "{a}{b}-{c}",
              # not the fast path's formats: the library answers
              "{a}-{b}-{c} x12", "{a}-{b}-{c} ext. 7", "+1 {a}/{b}-{c}", "({a} {b}-{c}", "{a}) {b}-{c}",
              "+ 1 {a} {b} {c}", "001 {a} {b} {c}", "011 1 {a} {b} {c}", "+1  {a}  {b}  {c}", "{a}--{b}-{c}",
              "{b}-{c}", "1{a}{b}{c}0", "+11{a}{b}{c}", "({a})-{b}-{c}", "tel:+1-{a}-{b}-{c}", "{a}-{b}-{c}.",
              "{a}‐{b}‐{c}", "＋１ {a} {b} {c}", "+1 {a}-{b}-{c};ext=5"]
ODD_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")  # Arabic-Indic: phonenumbers reads them as digits


def _us_cases():
    rng = random.Random(4)
    cases = []
    for area in range(200, 1000):
        for low in (200, 200, 0):  # mostly plausible exchanges
            exchange = f"{rng.randrange(low, 1000):03d}"
            line = f"{rng.randrange(0, 10000):04d}"
            cases.append(rng.choice(US_FORMATS[:20] * 2 + US_FORMATS).format(a=area, b=exchange, c=line))
    # every format on a few numbers: a US, a toll-free, a premium, a Canadian, a Caribbean, an invalid exchange
    for a, b in (("203", "555"), ("860", "231"), ("800", "555"), ("900", "555"), ("416", "555"), ("876", "555"),
                 ("203", "155"), ("555", "555"), ("212", "911"), ("500", "234"), ("340", "774"), ("989", "555")):
        cases += [f.format(a=a, b=b, c="0142") for f in US_FORMATS]
    cases += [f"{a}-{b}-0142".translate(ODD_DIGITS) for a, b in (("203", "555"), ("860", "231"))]
    cases += ["203-٥٥٥-0142", "(２０３) ５５５-０１４２", "+1 203 555 ０１４２", "2035550142\n", "\t203.555.0142 "]
    return cases


@pytest.mark.parametrize("declared", [None, "mobile"])
def test_us_fast_path_answers_as_phonenumbers(declared):
    cases = _us_cases()
    differ = [(raw, _ours(raw, declared), _library_phone(raw, declared)) for raw in cases
              if _ours(raw, declared) != _library_phone(raw, declared)]
    assert not differ, differ[:10]
    assert sum(isinstance(_ours(raw), tuple) for raw in cases) > len(cases) // 3  # many valid ones were compared


def test_other_numbers_answer_as_phonenumbers():
    """Every region's example numbers (each type), with digits changed, parsed for the US and for their region:
    number_type == UNKNOWN stands for is_valid_number as the library answers it."""
    rng = random.Random(7)
    cases = ["", "   ", "abc", "12", "+", "+1", "0", "911", "+44 20 7946 0958", "020 7946 0958", "+33 1 23 45 67 89",
             "+52 55 1234 5678", "+1 242 357 1234", "+1 (684) 733-1234", "+800 1234 5678", "+882 1234 5678 90"]
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE,
                     phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.VOIP):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            text = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
            digits = [i for i, ch in enumerate(text) if ch.isdigit()]
            changed = list(text)
            changed[rng.choice(digits[2:] or digits)] = rng.choice(string.digits)
            cases += [text, "".join(changed)]
    differ = [(raw, region) for raw in cases for region in ("US", "GB")
              if _ours(raw, None, region) != _library_phone(raw, None, region)]
    assert not differ, differ[:10]


# ---- addresses -------------------------------------------------------------------------------------------------

NUMBERS = ["1", "7", "12", "100", "250", "1200", "10000", "0", "007", "12B", "1/2", "12-14", "N12", "4th", "99999"]
PRE = ["", "N", "North", "S.", "SOUTH", "E", "West", "NE", "Old"]
NAMES = ["Main", "MAIN", "main", "Elm", "Broadway", "Martin Luther King Jr", "Park", "Avenue of the Americas",
         "Chapel", "Fairfield", "Whitney", "Church", "Saint Ronan", "St. Ronan", "O'Brien", "Niño", "Zoë", "1st",
         "42nd", "Route", "Washington", "Lake Shore", "Highland", "North", "Court", "State", "Farmington"]
SUFFIX = ["", "St", "ST", "St.", "Street", "STREET", "Ave", "Avenue", "AVE.", "Rd", "Road", "Blvd", "Ln", "Ct",
          "Pl", "Ter", "Pkwy", "Way", "Cir", "Hwy", "Tpke", "Dr", "Drive"]
POST = ["", "", "", "N", "South", "E."]
UNITS = ["", "", "", "Apt 4", "Apt. 4B", "#5", "# 12", "Unit B", "Suite 200", "STE 1500", "Fl 2", "Apt 1000",
         "Rm. 3", "Bldg C", "apt 7"]
ODD = ["PO Box 123", "P.O. Box 1000", "Box 55", "Main St & Elm St", "Main and Elm", "corner of Main St and Elm",
       "c/o Jane Doe", "Rural Route 2 Box 14", "RR 3", "General Delivery", "123", "Apt 4", "#", "&", "½",
       "12 ½ Main St", "One Financial Plaza", "1 Financial Plz, 12th Floor", "12 Main St, Hartford, CT 06103",
       "12 Main St\nApt 3", "(rear) 12 Main St", "12 Main St (rear)", "12 Main St;", "Main St 12", "12,  Main",
       "12 Main Main St", "12 12 Main St", "Hwy 44", "12 Route 44", "12 US-44", "12 I-84", "Calle Niño 5",
       "12 Ñandú Ave", "İstiklal 5", "12 KING'S HWY", "123 Main St # 4", "44 Main St Apt 1 Apt 2",
       "12 Main St Hartford", "12 main st.", "12 MAIN ST.", "12-14 Main St", "12A Main St", "12 Main St. N.W.",
       "1600 Pennsylvania Ave NW", "350 Fifth Avenue", "12 Elm St &amp; Oak St", "  12   Main   St  "]


def _addresses():
    rng = random.Random(11)
    out = list(ODD)
    for _ in range(1500):
        parts = [rng.choice(NUMBERS), rng.choice(PRE), rng.choice(NAMES), rng.choice(SUFFIX), rng.choice(POST)]
        line = " ".join(p for p in parts if p)
        unit = rng.choice(UNITS)
        if unit:
            line += rng.choice([" ", ", "]) + unit
        out.append(line)
    return out


def _library_tag(text):
    try:
        return usaddress.tag(text)
    except usaddress.RepeatedLabelError as exc:
        return ("repeated", str(exc))


def _our_tag(text):
    try:
        return _tag_address(text)
    except usaddress.RepeatedLabelError as exc:
        return ("repeated", str(exc))


def test_canonical_tokens_have_the_same_features():
    tokens = {t for text in _addresses() for t in usaddress.tokenize(text)}
    tokens |= {"A-b", "a-B", "X/Y", "x/y", "Ab,", "AB.", "a.b.", "(Rear)", "12,", "1200,", "0000", "O'Neil",
               "O'NEIL", "MAIN;", "St.)", "Main\n", "é", "ÉLAN", "Ünit", "1½", "２３"}
    differ = [t for t in tokens if usaddress.tokenFeatures(_canonical_token(t)) != usaddress.tokenFeatures(t)]
    assert not differ
    assert _canonical_token("4520") == "1110" and _canonical_token("MAIN") == "main"


def test_tag_address_answers_as_usaddress():
    texts = _addresses()
    assert [_tokenize(text) for text in texts] == [usaddress.tokenize(text) for text in texts]
    differ = [(text, _our_tag(text), _library_tag(text)) for text in texts if _our_tag(text) != _library_tag(text)]
    assert not differ, differ[:5]
    kinds = {_library_tag(text)[1] for text in texts}
    assert {"Street Address", "Intersection", "PO Box", "Ambiguous"} <= kinds
    assert any(_library_tag(text)[0] == "repeated" for text in texts)


def test_name_key_of_ascii_is_the_unicode_rule():
    rng = random.Random(3)
    names = ["O'Brien", "Mary-Kate", "  J. R. R.  ", "", "ABC123", "a_b", "x\ty\nz", "DE LA CRUZ", "St. John-Smith",
             string.printable, string.punctuation]
    names += ["".join(rng.choice(string.printable) for _ in range(rng.randrange(12))) for _ in range(2000)]
    general = lambda v: "".join(ch for ch in unicodedata.normalize("NFKD", v) if ch.isalnum()  # noqa: E731
                                and not unicodedata.combining(ch)).casefold()
    assert [name_key(n) for n in names] == [general(n) for n in names]
    assert name_key("José O'Brien") == "joseobrien" and name_key(None) == ""
