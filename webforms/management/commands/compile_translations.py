"""Compile locale/*/LC_MESSAGES/*.po to .mo with polib (pure Python), for machines without GNU gettext's msgfmt.
The .mo files are committed, so running the project never needs this; run it after editing a .po file."""
from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile the project's .po files to .mo without GNU gettext."

    def handle(self, *args, **options):
        for base in settings.LOCALE_PATHS:
            for po_path in sorted(Path(base).glob("*/LC_MESSAGES/*.po")):
                po = polib.pofile(str(po_path))
                untranslated = len(po.untranslated_entries())
                po.save_as_mofile(str(po_path.with_suffix(".mo")))
                self.stdout.write(f"{po_path.with_suffix('.mo')}: {len(po.translated_entries())} translated, "
                                  f"{untranslated} untranslated")
