"""CSV import and export of contacts (run as rq jobs by contacts.jobs, or by `manage.py import_contacts`).

Import: UTF-8 with or without a BOM, any line endings; the headers of Action Network and VAN exports are
recognised (first_name / FirstName, zip_code / Zip5, ...), others are mapped with {"CSV header": "field"}. Rows
go through the same validation and batch upsert as the API, 1,000 at a time, so re-running a file changes nothing
(every row is matched by its external id, email or phone). Rows that fail are listed in an error report (CSV).
"""
import csv
import io
import re
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from organizations.errors import DomainError
from organizations.services import audit_record

from .batch import batch_upsert
from .inputs import validate_people
from .models import Contact
from .sharing import render_contacts

CHUNK = 1000
FIELDS = ["given_name", "family_name", "language", "email", "phone", "mobile_phone", "landline", "line1", "line2",
          "city", "state", "postal_code", "latitude", "longitude", "external_id", "tags", "notes"]
#: normalised header (lower case, letters and digits only) -> field
ALIASES = {
    "firstname": "given_name", "first": "given_name", "givenname": "given_name",
    "lastname": "family_name", "last": "family_name", "familyname": "family_name", "surname": "family_name",
    "email": "email", "emailaddress": "email", "email1": "email", "preferredemail": "email",
    "phone": "phone", "phonenumber": "phone", "preferredphone": "phone", "homephone": "landline",
    "cellphone": "mobile_phone", "cell": "mobile_phone", "mobile": "mobile_phone", "mobilephone": "mobile_phone",
    "address": "line1", "address1": "line1", "addressline1": "line1", "addressline": "line1", "street": "line1",
    "streetaddress": "line1", "address2": "line2", "addressline2": "line2",
    "city": "city", "town": "city", "state": "state", "statecode": "state", "stateorprovince": "state",
    "zip": "postal_code", "zipcode": "postal_code", "zip5": "postal_code", "postalcode": "postal_code",
    "postcode": "postal_code",
    "latitude": "latitude", "lat": "latitude", "longitude": "longitude", "lng": "longitude", "lon": "longitude",
    "externalid": "external_id", "vanid": "external_id",
    "language": "language", "preferredlanguage": "language", "tags": "tags", "notes": "notes",
}
IDENTIFIERS = {"email", "phone", "mobile_phone", "landline", "external_id"}


class ImportError_(ValueError):
    """The file cannot be imported at all (encoding, missing column): the message is for the user."""


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportError_(f"The file is not UTF-8 (byte 0x{content[exc.start]:02x} at position {exc.start}). "
                           "Save it as 'CSV UTF-8' and upload it again.")


def columns(headers: list[str], mapping: dict) -> dict[int, str]:
    """{column index: field}. An explicit mapping wins; unknown headers are ignored."""
    wanted = {_norm(k): v for k, v in (mapping or {}).items()}
    unknown = sorted(set(wanted.values()) - set(FIELDS))
    if unknown:
        raise ImportError_(f"mapping names unknown fields {unknown}; known: {', '.join(FIELDS)}")
    found = {}
    for index, header in enumerate(headers):
        field = wanted.get(_norm(header)) or ALIASES.get(_norm(header))
        if field and field not in found.values():
            found[index] = field
    if not IDENTIFIERS & set(found.values()):
        raise ImportError_("The file is missing a required column: one of email, phone or external_id (headers "
                           "such as email / Email, phone / CellPhone, VanID), or map one with `mapping`. Found: "
                           + ", ".join(headers[:20]))
    return found


def _rows(text: str):
    return csv.reader(io.StringIO(text, newline=""))


def check_header(content: bytes, mapping: dict) -> dict[int, str]:
    text = decode(content)
    header = next(_rows(text), None)
    if not header:
        raise ImportError_("The file is empty.")
    return columns(header, mapping)


def row_person(values: list[str], cols: dict[int, str], tags: list[str]) -> dict:
    """One CSV row as the contact shape of the API."""
    row = {field: (values[i].strip() if i < len(values) else "") for i, field in cols.items()}
    person = {k: row[k] for k in ("given_name", "family_name", "language", "external_id", "notes") if row.get(k)}
    if row.get("email"):
        person["emails"] = [{"address": row["email"]}]
    phones = [{"number": row[k], **({"type": t} if t else {})} for k, t in
              (("mobile_phone", "mobile"), ("phone", None), ("landline", "landline")) if row.get(k)]
    if phones:
        person["phones"] = phones
    address = {k: row[k] for k in ("line1", "line2", "city", "state", "postal_code") if row.get(k)}
    if row.get("latitude") and row.get("longitude"):
        address.update(latitude=row["latitude"], longitude=row["longitude"])
    if address:
        if re.fullmatch(r"\d{1,4}", address.get("postal_code", "")):  # spreadsheets drop leading zeros (06103)
            address["postal_code"] = address["postal_code"].zfill(5)
        person["addresses"] = [address]
    row_tags = [t.strip() for t in row.get("tags", "").split(",") if t.strip()] + list(tags)
    if row_tags:
        person["tags"] = row_tags
    return person


def import_csv(*, organization, content: bytes, mapping: dict | None = None, tags=(), actor=None,
               progress=lambda pct, msg="": None) -> tuple[dict, str]:
    """Import a whole file. Returns (counts, error report CSV text)."""
    text = decode(content)
    reader = _rows(text)
    header = next(reader, None)
    if not header:
        raise ImportError_("The file is empty.")
    cols = columns(header, mapping or {})
    rows = [r for r in reader if any(v.strip() for v in r)]
    total = len(rows)
    counts = {"rows": total, "created": 0, "updated": 0, "unchanged": 0, "error": 0}
    report = io.StringIO()
    errors = csv.writer(report)
    errors.writerow(["row", "field", "message"])
    for start in range(0, total, CHUNK):
        chunk = [row_person(r, cols, list(tags)) for r in rows[start:start + CHUNK]]
        people, invalid = validate_people(chunk, prefix="row")
        for offset, person in people.items():
            if not ({"emails", "phones", "external_id"} & set(person)):
                invalid[offset] = {"row": ["needs an email, a phone or an external id (to be matched when the "
                                           "file is imported again)"]}
        good = sorted(set(people) - set(invalid))
        outcomes = batch_upsert(organization=organization, people=[people[i] for i in good], source="import",
                                actor=actor)
        for offset, outcome in zip(good, outcomes):
            if isinstance(outcome, DomainError):
                invalid[offset] = {k: v for k, v in outcome.fields.items()} or {"row": [outcome.message]}
            else:
                counts["created" if outcome.new_to_caller else outcome.outcome] += 1
        for offset in sorted(invalid):
            counts["error"] += 1
            line = start + offset + 2  # the header is line 1
            for field, messages in invalid[offset].items():
                field = re.sub(r"^row\[\d+\]\.?", "", field) or "row"
                for message in messages:
                    errors.writerow([line, field, message])
        done = min(total, start + CHUNK)
        progress(done * 100 // max(1, total), f"{done} of {total} rows")
    return counts, report.getvalue()


def store_upload(organization, content: bytes) -> str:
    return default_storage.save(f"imports/{organization.slug}/{uuid.uuid4()}.csv", ContentFile(content))


def import_job(job, progress) -> dict:
    from jobs.services import JobFailed

    with default_storage.open(job.params["path"], "rb") as handle:
        content = handle.read()
    try:
        counts, report = import_csv(organization=job.organization, content=content,
                                    mapping=job.params.get("mapping"), tags=job.params.get("tags", []),
                                    actor=job.created_by_key or job.created_by_user, progress=progress)
    except ImportError_ as exc:
        raise JobFailed(str(exc))
    if counts["error"]:
        job.result_file.save(f"import-errors-{job.id}.csv", ContentFile(report.encode()), save=True)
    audit_record(organization=job.organization, actor=job.created_by_key or job.created_by_user,
                 verb="contacts.imported", obj=job, details=counts)
    progress(100, f"{counts['rows']} rows: {counts['created']} created, {counts['updated']} updated, "
                  f"{counts['unchanged']} unchanged, {counts['error']} with errors")
    return counts


EXPORT_COLUMNS = ["id", "given_name", "family_name", "language", "email", "phone", "line1", "line2", "city",
                  "state", "postal_code", "latitude", "longitude", "external_id", "tags", "modified_at"]


def export_job(job, progress) -> dict:
    """The caller's visible contacts, rendered through contact_view (so masked exactly as in the API)."""
    organization = job.organization
    queryset = Contact.objects.visible_to(organization).order_by("created_at", "id")
    total = queryset.count()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    ids = list(queryset.values_list("pk", flat=True))
    for start in range(0, total, CHUNK):
        views = render_contacts(organization, ids[start:start + CHUNK])
        for pk in ids[start:start + CHUNK]:
            view = views[pk]
            email = next(iter(view["emails"]), {})
            phone = next(iter(view["phones"]), {})
            address = next(iter(view["addresses"]), {})
            writer.writerow([view["id"], view["given_name"], view["family_name"], view["language"],
                             email.get("address", ""), phone.get("number", ""),
                             *[address.get(k, "") if address.get(k) is not None else ""
                               for k in ("line1", "line2", "city", "state", "postal_code", "latitude",
                                         "longitude")],
                             view["external_id"] or "", ",".join(view["tags"]), view["modified_at"]])
        progress(min(total, start + CHUNK) * 100 // max(1, total), f"{min(total, start + CHUNK)} of {total}")
    job.result_file.save(f"contacts-{organization.slug}-{job.id}.csv", ContentFile(buffer.getvalue().encode()),
                         save=True)
    audit_record(organization=organization, actor=job.created_by_key or job.created_by_user,
                 verb="contacts.exported", obj=job, details={"rows": total})
    return {"rows": total}
