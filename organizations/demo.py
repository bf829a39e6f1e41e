"""Demo coalition: the Education Justice Now Coalition and its five members (DESIGN.md section 9)."""
import hmac

from django.conf import settings
from django.contrib.auth import get_user_model

from .models import Coalition, Membership, Organization, Role
from .services import demo_api_key

MEMBERS = [
    # slug, name, short name, website, coalition admin
    ("conncan", "ConnCAN", "ConnCAN", "https://conncan.org", True),
    ("e4e-ct", "Educators for Excellence", "E4E", "https://e4e.org", False),
    ("faithacts", "FaithActs for Education", "FaithActs", "https://faithacts.org", False),
    ("ccsa", "Connecticut Charter Schools Association", "CCSA", "https://ctcharters.org", False),
    ("ssfp", "School and State Finance Project", "SSFP", "https://schoolstatefinance.org", False),
]


def demo_password(username: str) -> str:
    """Derived from SECRET_KEY so `make run` can print it again; never used outside development."""
    return hmac.new(settings.SECRET_KEY.encode(), f"demo-password:{username}".encode(), "sha256").hexdigest()[:16]


def seed(context: dict) -> None:
    coalition, _ = Coalition.objects.get_or_create(
        slug="education-justice-now", defaults={"name": "Education Justice Now Coalition"})
    context["coalition"] = coalition
    context["organizations"] = {}
    context["keys"] = {}
    context["staff"] = {}
    User = get_user_model()
    for slug, name, short, website, is_admin in MEMBERS:
        organization, _ = Organization.objects.update_or_create(
            slug=slug, defaults={"coalition": coalition, "name": name, "short_name": short, "website": website,
                                 "is_coalition_admin": is_admin,
                                 "allowed_embed_origins": [website, "http://127.0.0.1:8000", "http://localhost:8000"]})
        context["organizations"][slug] = organization
        context["keys"][slug] = demo_api_key(organization)[1]
        username = f"{slug}-organizer"
        user, created = User.objects.get_or_create(username=username, defaults={"is_staff": True})
        if created:
            user.set_password(demo_password(username))
            user.save()
        Membership.objects.get_or_create(user=user, organization=organization, defaults={"role": Role.ADMIN})
        context["staff"][slug] = (username, demo_password(username))
