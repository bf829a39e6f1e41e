import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from contacts.imports import ImportError_, import_csv
from organizations.models import Organization


class Command(BaseCommand):
    help = ("Import contacts from a CSV file for one member (same rules as the API and the import job; "
            "re-running the same file changes nothing).")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--mapping", default="{}", help='JSON {"CSV header": "field"}')
        parser.add_argument("--tag", action="append", default=[], help="tag every imported contact")
        parser.add_argument("--errors", help="write the per-row error report to this file")

    def handle(self, *args, file, org, mapping, tag, errors, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with slug {org!r}")
        try:
            content = Path(file).read_bytes()
            mapping = json.loads(mapping)
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc))

        def progress(percent, message=""):
            bar = "#" * (percent // 4)
            sys.stderr.write(f"\r[{bar:<25}] {percent:3d}% {message}")
            sys.stderr.flush()

        try:
            counts, report = import_csv(organization=organization, content=content, mapping=mapping, tags=tag,
                                        progress=progress)
        except ImportError_ as exc:
            raise CommandError(str(exc))
        sys.stderr.write("\n")
        if errors and counts["error"]:
            Path(errors).write_text(report)
        self.stdout.write(json.dumps(counts))
