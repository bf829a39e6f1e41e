"""Demo supporters: a few hundred synthetic people around Hartford, New Haven and Bridgeport, held by the five
members, with addresses, consents and tags (DESIGN.md section 9). Idempotent: every person has an external id per
member, so seeding again matches and changes nothing. Goes through the same batch upsert as the API."""
import random

from .batch import batch_upsert
from .inputs import validate_people
from .normalize import name_key

PEOPLE = 300
GIVEN = ["Ana", "José", "Nguyễn", "Siobhán", "Marcus", "Keisha", "Luis", "Mei", "Tyrone", "Fatima", "DeShawn",
         "Maria", "Jamal", "Rosa", "Aaliyah", "Kevin", "Yolanda", "Carlos", "Imani", "Priya", "Hector", "Grace"]
FAMILY = ["Rivera", "Nguyen", "O'Brien", "Johnson", "Santiago", "Williams", "Ortiz", "Chen", "Brown", "Pérez",
          "Jackson", "Torres", "Davis", "Ramírez", "Okafor", "Kowalski", "Díaz", "Thompson", "Patel", "Morales"]
PLACES = [  # city, ZIPs, streets
    ("Hartford", ["06103", "06105", "06106", "06112", "06114", "06120"],
     ["Albany Ave", "Park St", "Main St", "Wethersfield Ave", "Farmington Ave", "Blue Hills Ave", "Broad St"]),
    ("New Haven", ["06510", "06511", "06513", "06515", "06519"],
     ["Whalley Ave", "Dixwell Ave", "Grand Ave", "Chapel St", "Congress Ave", "Orange St"]),
    ("Bridgeport", ["06604", "06605", "06606", "06607", "06608", "06610"],
     ["Fairfield Ave", "Park Ave", "Boston Ave", "Main St", "East Main St", "North Ave"]),
]
TAGS = ["parent", "educator", "student", "faith-leader", "petition-signer", "rally-2026", "testimony-interest"]
SHARE_TEXT = ("Yes, share my contact details with the Education Justice Now Coalition's member organizations so "
              "they can tell me about the campaign for fair school funding.")
EMAIL_TEXT = "Yes, send me email updates about fair school funding in Connecticut."


def person(n: int, rng: random.Random) -> dict:
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    city, zips, streets = rng.choice(PLACES)
    record = {
        "given_name": given, "family_name": family, "language": rng.choice(["en", "en", "en", "es"]),
        "emails": [{"address": f"{name_key(given)}.{name_key(family)}{n}@example.org"}],
        "addresses": [{"line1": f"{rng.randrange(10, 2000)} {rng.choice(streets)}", "city": city, "state": "CT",
                       "postal_code": rng.choice(zips)}],
        "tags": rng.sample(TAGS, rng.randrange(1, 3)),
        "consents": [{"channel": "email", "status": "opt_in", "source": "form", "text": EMAIL_TEXT}],
    }
    if rng.random() < 0.7:
        record["phones"] = [{"number": f"+1{rng.choice(['860', '203', '475'])}555{n % 10000:04d}", "type": "mobile"}]
    if rng.random() < 0.35:
        record["consents"].append({"channel": "email", "scope": "coalition", "status": "opt_in", "source": "form",
                                   "text": SHARE_TEXT})
    if rng.random() < 0.05:
        record["consents"] = [{"channel": "email", "status": "opt_out", "source": "form"}]
    return record


def seed(context: dict) -> None:
    rng = random.Random(713)  # the $713 million gap
    members = list(context["organizations"].values())
    by_member = {m.slug: [] for m in members}
    for n in range(PEOPLE):
        holder = members[n % len(members)]
        record = person(n, rng)
        record["external_id"] = f"demo-{holder.slug}-{n}"
        by_member[holder.slug].append(record)
    for member in members:
        people, errors = validate_people(by_member[member.slug])
        assert not errors, errors
        batch_upsert(organization=member, people=[people[i] for i in sorted(people)], source="import")
