from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = ("Seed the demo coalition (idempotent: run it again and nothing is duplicated). Each app's demo.py "
            "adds its part, in INSTALLED_APPS order.")

    def add_arguments(self, parser):
        parser.add_argument("--print-credentials", action="store_true",
                            help="print each member's demo API key and staff login")

    def handle(self, *args, print_credentials=False, **options):
        context = {}
        with transaction.atomic():
            for app in apps.get_app_configs():
                try:
                    module = import_module(f"{app.name}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{app.name}.demo":
                        raise
                    continue
                module.seed(context)
        self.stderr.write(f"Seeded {context['coalition'].name} with {len(context['organizations'])} members.")
        if print_credentials:
            width = max(len(slug) for slug in context["keys"])
            self.stdout.write("Demo API keys (Authorization: Token <key>):")
            for slug, key in context["keys"].items():
                self.stdout.write(f"  {slug:<{width}}  {key}")
            self.stdout.write("Demo staff logins for /admin/ and the browsable API (username / password):")
            for slug, (username, password) in context["staff"].items():
                self.stdout.write(f"  {slug:<{width}}  {username} / {password}")
