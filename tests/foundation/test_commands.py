import io
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from organizations.models import ApiKey, Coalition, Membership, Organization
from tests.support import PROJECT_DIR

pytestmark = pytest.mark.django_db


def test_create_and_revoke_api_key_commands(org_a):
    out = io.StringIO()
    call_command("create_api_key", "--org", org_a.slug, "--name", "VAN sync", "--scopes", "contacts:read",
                 stdout=out, stderr=io.StringIO())
    plain = out.getvalue().strip()
    me = APIClient().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {plain}")
    assert me.status_code == 200 and me.json()["scopes"] == ["contacts:read"]
    prefix = ApiKey.objects.get(name="VAN sync").prefix
    call_command("revoke_api_key", prefix, stdout=io.StringIO())
    assert APIClient().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {plain}").status_code == 401


def test_seed_demo_is_idempotent_and_its_keys_work():
    out = io.StringIO()
    call_command("seed_demo", "--print-credentials", stdout=out, stderr=io.StringIO())
    counts = (Coalition.objects.count(), Organization.objects.count(), ApiKey.objects.count(),
              Membership.objects.count())
    again = io.StringIO()
    call_command("seed_demo", "--print-credentials", stdout=again, stderr=io.StringIO())
    assert counts == (Coalition.objects.count(), Organization.objects.count(), ApiKey.objects.count(),
                      Membership.objects.count())
    assert out.getvalue() == again.getvalue(), "the same demo keys are printed on every run"
    assert {o.name for o in Organization.objects.all()} >= {
        "ConnCAN", "Educators for Excellence", "FaithActs for Education",
        "Connecticut Charter Schools Association", "School and State Finance Project"}
    keys = [line.split()[1] for line in out.getvalue().splitlines() if "ejn_" in line]
    assert len(keys) == 5
    slugs = {APIClient().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {k}").json()["organization"]["slug"]
             for k in keys}
    assert len(slugs) == 5


def _manage(*args, env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=PROJECT_DIR, env=env, capture_output=True,
                          text=True, timeout=120)


def test_check_deploy_passes_with_production_values(tmp_path):
    env = {**os.environ, "DJANGO_ENV": "production", "DJANGO_SECRET_KEY": "s" * 20 + os.urandom(24).hex(),
           "DJANGO_ALLOWED_HOSTS": "api.example.org", "COALITION_VAR_DIR": str(tmp_path)}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_a_missing_secret(tmp_path):
    env = {**os.environ, "DJANGO_ENV": "production", "COALITION_VAR_DIR": str(tmp_path)}
    env.pop("DJANGO_SECRET_KEY", None)
    result = _manage("check", env=env)
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


def test_no_silent_default_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = _manage("check", env={**env, "COALITION_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "DATABASE_URL is not set and no embedded server is running" in result.stderr
