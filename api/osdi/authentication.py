"""`OSDI-API-Token: <key>`: the header Action Network clients send, carrying the organization's ordinary API key
(the same keys, scopes and revocation as `Authorization: Token`)."""
from rest_framework import authentication, exceptions

from api.authentication import KeyUser
from organizations.services import api_key_authenticate

HEADER = "HTTP_OSDI_API_TOKEN"


class OsdiTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        plain = request.META.get(HEADER)
        if plain is None:
            return None
        key = api_key_authenticate(plain.strip())
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid, revoked or expired API key in OSDI-API-Token.")
        return KeyUser(key), key

    def authenticate_header(self, request):
        return "OSDI-API-Token"
