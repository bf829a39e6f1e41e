from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions

from organizations.services import api_key_authenticate


class KeyUser(AnonymousUser):
    """The `request.user` of a key-authenticated request: authenticated, never staff, never a superuser."""

    def __init__(self, key):
        self.key = key

    @property
    def is_authenticated(self):
        return True

    def __str__(self):
        return f"API key {self.key.prefix}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>` (or `Bearer <key>`). A missing, malformed, revoked or expired key is a 401."""

    keywords = ("token", "bearer")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: use `Token <key>`.")
        key = api_key_authenticate(header[1])
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid, revoked or expired API key.")
        return KeyUser(key), key

    def authenticate_header(self, request):
        return "Token"
