import pytest
from django.core.management import call_command

from webforms.models import Form, FormCosponsor

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_the_coalition_forms_idempotently():
    call_command("seed_demo")
    call_command("seed_demo")
    petition = Form.objects.get(slug="add-your-name")
    assert petition.kind == "petition" and "$713 million" in petition.title
    assert petition.organization.slug == "conncan"
    assert set(FormCosponsor.objects.filter(form=petition).values_list("ref", flat=True)) == {
        "e4e-ct", "faithacts", "ccsa", "ssfp"}
    assert Form.objects.get(slug="tell-your-story").kind == "story"
    testify = Form.objects.get(slug="testify-on-school-funding")
    assert testify.kind == "testimony" and testify.hearing is not None
    assert Form.objects.get(slug="rally-at-the-capitol").event is not None
    assert Form.objects.count() == 4 and FormCosponsor.objects.count() == 16
