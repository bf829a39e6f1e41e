"""Where a webhook may point. Checked when a subscription is saved and again at every delivery (DNS changes):
https only in production; link-local addresses (169.254.0.0/16, fe80::/10: cloud metadata) always refused;
loopback, private and other non-public addresses refused unless WEBHOOKS_ALLOW_PRIVATE_TARGETS is on."""
import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class TargetRefused(Exception):
    """The URL may not receive webhooks; the message says why."""


def _embedded_ipv4(ip: ipaddress.IPv6Address):
    return ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)


def check_ip(address: str) -> None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and _embedded_ipv4(ip) is not None:
        ip = _embedded_ipv4(ip)
    if ip.is_link_local:
        raise TargetRefused(f"{ip} is a link-local address, which is never allowed")
    if ip.is_multicast:
        raise TargetRefused(f"{ip} is a multicast address")
    if not ip.is_global and not settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS:
        kind = "loopback" if ip.is_loopback else "private or reserved"
        raise TargetRefused(f"{ip} is a {kind} address; webhooks go to public addresses only")


def parse(url: str):
    """(scheme, host, port, path_with_query) of an acceptable URL, without resolving it."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"Not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("Enter an http(s) URL with a host.")
    if settings.PRODUCTION and parts.scheme != "https":
        raise TargetRefused("Webhook URLs must use https.")
    if parts.username or parts.password:
        raise TargetRefused("Put no credentials in the URL; verify the signature instead.")
    if parts.fragment:
        raise TargetRefused("A webhook URL has no #fragment.")
    port = port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to, each checked; the caller connects to one of these, never to the
    name again (so a DNS answer cannot change between the check and the connection)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"{host} does not resolve ({exc})") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        check_ip(address)
    return addresses


def check_url(url: str) -> None:
    _, host, port, _ = parse(url)
    resolve(host, port)
