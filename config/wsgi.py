import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()


def _warm_up():
    """What each worker would otherwise load on its first requests (the URLconf and every view module, the ZIP
    code table): gunicorn forks its workers after this (preload_app), so they start warm and share it. No database
    or Redis connection may cross the fork. The loaded objects are frozen out of the cyclic collector's reach: full
    collections then scan only what requests create, and do not touch (copy) the shared pages."""
    from django.db import connections
    from django.urls import get_resolver

    from contacts.normalize import preload

    get_resolver().url_patterns
    preload()
    connections.close_all()
    gc.collect()
    gc.freeze()


_warm_up()
