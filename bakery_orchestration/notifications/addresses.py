"""Which addresses a tenant's webhook may reach: public ones only, unless the operator allows more.

A tenant chooses its webhook URL, so without this rule a daily summary could be POSTed to the
cloud metadata service (169.254.169.254), a loopback admin endpoint or the private network. The
URL is checked when it is set (scheme, literal addresses, names that resolve) and again at each
delivery by `GuardedTransport`, which resolves the name itself, checks every address and connects
to the address it checked, so a DNS answer that changes in between (rebinding) cannot slip past.

The operator widens the rule with `BAKERY_WEBHOOK_ALLOW_PRIVATE=1` (any address) or
`BAKERY_WEBHOOK_ALLOWED_NETWORKS=127.0.0.1/32,10.20.0.0/16` (those networks only).
"""

import ipaddress
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.core.http_calls import http_transport

ALLOW_PRIVATE_ENV = "BAKERY_WEBHOOK_ALLOW_PRIVATE"
ALLOWED_NETWORKS_ENV = "BAKERY_WEBHOOK_ALLOWED_NETWORKS"
SCHEMES = ("http", "https")
_TRUE, _FALSE = ("1", "true", "yes"), ("", "0", "false", "no")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[Address]]


class UnsafeWebhookUrl(BakeryError):
    """A webhook URL that may not be used; the message is one line."""


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses always; private ones only if allowed as a whole or by network."""

    allow_private: bool = False
    allowed_networks: tuple[Network, ...] = ()

    @classmethod
    def from_environment(cls) -> "AddressPolicy":
        """The operator's policy, read when a URL is checked (never at import time)."""
        flag = os.environ.get(ALLOW_PRIVATE_ENV, "").strip().lower()
        if flag not in _TRUE + _FALSE:
            raise BakeryError(f"{ALLOW_PRIVATE_ENV}={flag!r}: use 1 or 0")
        raw = os.environ.get(ALLOWED_NETWORKS_ENV, "")
        try:
            networks = tuple(
                ipaddress.ip_network(part.strip(), strict=False)
                for part in raw.split(",")
                if part.strip()
            )
        except ValueError as exc:
            raise BakeryError(f"{ALLOWED_NETWORKS_ENV}: {exc}") from exc
        return cls(flag in _TRUE, networks)

    def refusal(self, address: Address) -> str | None:
        """Why `address` may not be reached, or None if it may."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if self.allow_private or any(address in network for network in self.allowed_networks):
            return None
        if address.is_global and not address.is_multicast:
            return None
        return f"{address} is {_kind(address)} address"


def _kind(address: Address) -> str:
    for kind in ("loopback", "link_local", "unspecified", "multicast", "private", "reserved"):
        if getattr(address, f"is_{kind}"):
            name = kind.replace("_", "-")
            return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"
    return "a non-public"


def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to (a literal address resolves to itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def check_webhook_url(
    url: str, policy: AddressPolicy | None = None, resolver: Resolver = resolve
) -> str:
    """`url` if a webhook may be sent there; else UnsafeWebhookUrl. A name that does not resolve
    yet is accepted: delivery checks it again."""
    policy = policy or AddressPolicy.from_environment()
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UnsafeWebhookUrl(f"webhook URL {url!r} is not a valid URL: {exc}") from exc
    if parsed.scheme not in SCHEMES:
        scheme = parsed.scheme or "none"
        raise UnsafeWebhookUrl(f"webhook URL {url!r}: scheme {scheme!r} refused, use http(s)")
    if not parsed.host:
        raise UnsafeWebhookUrl(f"webhook URL {url!r} has no host")
    try:
        addresses = resolver(parsed.host, _port(parsed))
    except OSError:
        return url
    _refuse_any(parsed.host, addresses, policy, f"webhook URL {url!r}")
    return url


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def _refuse_any(host: str, addresses: list[Address], policy: AddressPolicy, what: str) -> None:
    for address in addresses:
        reason = policy.refusal(address)
        if reason:
            raise UnsafeWebhookUrl(
                f"{what} refused: {host} -> {reason} (an operator may allow it with "
                f"{ALLOWED_NETWORKS_ENV})"
            )


class GuardedTransport(httpx.BaseTransport):
    """Sends a request only to an address the policy allows, pinned for this request."""

    def __init__(
        self,
        policy: AddressPolicy,
        inner: httpx.BaseTransport | None = None,
        resolver: Resolver = resolve,
    ) -> None:
        self._policy = policy
        self._inner = inner or http_transport()  # no proxy detour
        self._resolver = resolver

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in SCHEMES:
            raise UnsafeWebhookUrl(f"webhook URL scheme {url.scheme!r} refused, use http(s)")
        try:
            addresses = self._resolver(url.host, _port(url))
        except OSError as exc:
            raise httpx.ConnectError(f"cannot resolve {url.host}: {exc}", request=request) from exc
        _refuse_any(url.host, addresses, self._policy, "webhook delivery")
        pinned = str(addresses[0])
        if pinned != url.host:
            # Connect to the checked address; TLS still verifies the name (SNI), Host is kept.
            request.extensions = {**request.extensions, "sni_hostname": url.host}
            request.url = url.copy_with(host=pinned)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()
