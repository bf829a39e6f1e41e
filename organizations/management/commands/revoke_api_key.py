from django.core.management.base import BaseCommand, CommandError

from organizations.errors import DomainError
from organizations.services import api_key_revoke


class Command(BaseCommand):
    help = "Revoke an API key by its visible prefix (the part after 'ejn_')."

    def add_arguments(self, parser):
        parser.add_argument("prefix")

    def handle(self, *args, prefix, **options):
        try:
            key = api_key_revoke(prefix=prefix)
        except DomainError as exc:
            raise CommandError(exc.message)
        self.stdout.write(f"Revoked {key.prefix} ({key.name}, {key.organization.slug}) at {key.revoked_at:%Y-%m-%d %H:%M:%S %Z}")
