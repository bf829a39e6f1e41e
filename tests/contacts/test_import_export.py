"""CSV import and export as rq jobs (real worker processes), and `manage.py import_contacts`."""
import csv
import io
import subprocess
import sys

import pytest

from contacts.models import Contact
from jobs.models import Job
from organizations.models import AuditEvent
from tests.support import PROJECT_DIR, run_worker_burst, subprocess_env

URL = "/api/v1/contacts/"

VAN = ("VanID,FirstName,LastName,Address,City,State,Zip5,CellPhone,Email\r\n"
       "101,José,Nguyễn,12 Main St,Hartford,CT,06103,(860) 555-0101,jose@x.org\r\n"
       "102,Siobhán,O'Brien,40 Elm Street Apt 2,New Haven,CT,6511,,siobhan@x.org\r\n"
       "103,Bad,Email,,,,,,not-an-email\r\n"
       "104,No,Phone,,,,,12,\r\n")
ACTION_NETWORK = "first_name,last_name,email,zip_code,tags\nAna,Diaz,ana@x.org,06604,\"rally,petition\"\n"


def upload(client, content: bytes, **extra):
    return client.post(f"{URL}imports/", {"file": io.BytesIO(content), **extra}, format="multipart")


@pytest.mark.django_db(transaction=True)
def test_van_import_job_with_bom_crlf_errors_report_and_rerun(client_a):
    content = "\ufeff".encode() + VAN.encode()
    response = upload(client_a, content)
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    run_worker_burst()
    job = client_a.get(f"/api/v1/jobs/{job_id}/").json()
    assert job["status"] == "finished" and job["progress"] == 100, job
    assert job["result"] == {"rows": 4, "created": 2, "updated": 0, "unchanged": 0, "error": 2}
    report = client_a.get(f"/api/v1/jobs/{job_id}/download/")
    rows = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode())))
    assert rows[0] == ["row", "field", "message"]
    assert ["4", "emails[0].address", "'not-an-email' is not a valid email address"] in rows
    assert any(r[0] == "5" and r[1] == "phones[0].number" for r in rows)
    jose = Contact.objects.get(given_name="José")
    assert jose.family_name == "Nguyễn" and jose.links.get().external_id == "101"
    assert jose.phones.get().number == "+18605550101"
    siobhan = Contact.objects.get(family_name="O'Brien")
    assert siobhan.addresses.get().postal_code == "06511"  # the spreadsheet's dropped leading zero restored
    before = sorted(Contact.objects.values_list("pk", "modified_at"))
    again = upload(client_a, content).json()["id"]
    run_worker_burst()
    assert client_a.get(f"/api/v1/jobs/{again}/").json()["result"]["unchanged"] == 2
    assert sorted(Contact.objects.values_list("pk", "modified_at")) == before


@pytest.mark.django_db(transaction=True)
def test_export_job_is_audited(client_a):
    client_a.post(URL, {"given_name": "Ex", "emails": [{"address": "ex@x.org"}]}, format="json")
    job_id = client_a.post(f"{URL}exports/").json()["id"]
    run_worker_burst()
    assert client_a.get(f"/api/v1/jobs/{job_id}/").json()["status"] == "finished"
    text = b"".join(client_a.get(f"/api/v1/jobs/{job_id}/download/").streaming_content).decode()
    assert "ex@x.org" in text and text.startswith("id,given_name")
    assert AuditEvent.objects.filter(verb="contacts.exported").exists()


@pytest.mark.django_db
def test_action_network_headers_mapping_and_bad_files(client_a, org_a):
    from contacts.imports import import_csv
    counts, _ = import_csv(organization=org_a, content=ACTION_NETWORK.encode())
    assert counts["created"] == 1
    ana = Contact.objects.get(given_name="Ana")
    assert sorted(t.tag.name for t in ana.taggings.all()) == ["petition", "rally"]
    latin1 = upload(client_a, "email,first_name\nx@x.org,Zoë\n".encode("latin-1"))
    assert latin1.status_code == 400
    assert "not UTF-8" in latin1.json()["error"]["fields"]["file"][0]
    missing = upload(client_a, b"first_name,last_name\nA,B\n")
    assert missing.status_code == 400 and "missing a required column" in missing.json()["error"]["message"]
    mapped = upload(client_a, b"Correo,Nombre\nm@x.org,Mar\n", mapping='{"Correo": "email", "Nombre": "given_name"}')
    assert mapped.status_code == 202
    assert Job.objects.get(pk=mapped.json()["id"]).params["mapping"] == {"Correo": "email", "Nombre": "given_name"}


@pytest.mark.django_db(transaction=True)
def test_import_command_with_progress(tmp_path, org_a):
    path = tmp_path / "people.csv"
    path.write_text(ACTION_NETWORK)
    result = subprocess.run([sys.executable, str(PROJECT_DIR / "manage.py"), "import_contacts", str(path),
                             "--org", org_a.slug], env=subprocess_env(), capture_output=True, text=True, timeout=120,
                            cwd=PROJECT_DIR)
    assert result.returncode == 0, result.stderr
    assert '"created": 1' in result.stdout and "100%" in result.stderr
    bad = subprocess.run([sys.executable, str(PROJECT_DIR / "manage.py"), "import_contacts", str(path),
                          "--org", "nope"], env=subprocess_env(), capture_output=True, text=True, timeout=120,
                         cwd=PROJECT_DIR)
    assert bad.returncode != 0 and "No organization" in bad.stderr
