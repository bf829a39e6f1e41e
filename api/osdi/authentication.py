"""`OSDI-API-Token: <key>`: the header Action Network clients send, carrying the organization's ordinary API key
(the same keys, scopes and revocation as `Authorization: Token`)."""
from drf_spectacular.extensions import OpenApiAuthenticationExtension
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


class OsdiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.osdi.authentication.OsdiTokenAuthentication"
    name = "OsdiApiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "OSDI-API-Token",
                "description": "A member organization's API key (the same keys as `Authorization: Token`)."}
