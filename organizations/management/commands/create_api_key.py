from django.core.management.base import BaseCommand, CommandError

from organizations.errors import DomainError
from organizations.models import Organization
from organizations.scopes import KNOWN_SCOPES
from organizations.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for a member organization and print it once (it is stored only as a hash)."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--name", required=True, help="what the key is for, e.g. 'Action Network sync'")
        parser.add_argument("--scopes", nargs="+", metavar="SCOPE",
                            help=f"default: every read and write scope; known: {' '.join(KNOWN_SCOPES)}")

    def handle(self, *args, org, name, scopes, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with slug {org!r}")
        try:
            key, plain = api_key_create(organization=organization, name=name, scopes=scopes)
        except DomainError as exc:
            raise CommandError(exc.message)
        self.stderr.write(f"Created key {key.prefix} for {organization.name} with scopes {' '.join(key.scopes)}.")
        self.stderr.write("Store it now: it cannot be shown again.")
        self.stdout.write(plain)
