"""Where a webhook may be sent: http(s) only, and not into the servers' own network.

An endpoint URL is checked when it is saved and again, on the addresses its host resolves to
then, before every delivery, and the POST goes to the address that was checked (so a DNS
answer that changes between the check and the connection cannot point it elsewhere)."""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings


class AddressRefused(ValueError):
    """The URL may not be used for a webhook; the message says why, for people."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query
    addresses: tuple[str, ...]


def parse(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise AddressRefused(f"Not a valid URL: {exc}.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise AddressRefused("Only http:// and https:// URLs can receive webhooks.")
    if not parts.hostname:
        raise AddressRefused("The URL has no host.")
    if parts.username or parts.password:
        raise AddressRefused(
            "Put credentials in the receiver's check of the signature, not the URL."
        )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), path


def resolve(url: str) -> Target:
    """The URL's target, with the addresses it resolves to now; AddressRefused if it may not be
    used (not http(s), unresolvable, or an address in a loopback, private, link-local or other
    special range while WEBHOOK_ALLOW_PRIVATE is off)."""
    scheme, host, port, path = parse(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise AddressRefused(f"The host {host!r} could not be resolved.") from None
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise AddressRefused(f"The host {host!r} could not be resolved.")
    if not settings.WEBHOOK_ALLOW_PRIVATE:
        for address in addresses:
            if not _public(address):
                raise AddressRefused(
                    f"{host} resolves to {address}, a loopback, private or otherwise special "
                    "address; webhooks go to public addresses only (WEBHOOK_ALLOW_PRIVATE)."
                )
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=addresses)


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
