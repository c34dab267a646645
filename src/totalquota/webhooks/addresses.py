"""Where a webhook may be sent: never to this machine or the network it stands in (SSRF guard).

A subscription's receiver must be an ``http`` or ``https`` URL whose host is, or resolves only to,
public addresses: not loopback, private, link-local, multicast, reserved, unspecified or otherwise
not globally routable (shared address space, documentation ranges …), for IPv4 and IPv6 alike,
with the IPv4 address inside an IPv6 one (IPv4-mapped ``::ffff:a.b.c.d``, 6to4, Teredo) checked
as that IPv4 address. Otherwise a bureau administrator's subscription (or a stolen admin token)
could make the platform's worker post to the database, a cloud metadata service or an intranet
system and read the start of its answer in the delivery log.

The rule is checked twice:

- when a subscription is created or its URL changed (:func:`url_refusal`, called by the services,
  so the page's form and the API refuse alike): an address literal or a name resolving to a
  forbidden address is refused; a name that does not resolve (yet) is accepted, since the check
  is made again at every delivery;
- at every delivery (:func:`delivery_target`): the host is resolved again (a name's DNS may have
  changed since), and the request is refused without being sent when any address is forbidden;
  otherwise it is sent to the address that was checked (not resolved a second time), so a name
  cannot change between the check and the connection.

``WEBHOOK_ALLOW_PRIVATE_HOSTS`` (default ``False``) lifts the address rule, for a park whose
partner systems receive on its intranet, and for local tests whose receiver listens on 127.0.0.1;
the scheme rule stays. Only the standard library is used (``ipaddress``, ``socket``).
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_HOSTS", False))


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (``getaddrinfo``, TCP), in the resolver's order; raises
    ``OSError`` when it does not resolve."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def literal(host: str) -> IPAddress | None:
    """``host`` as an IP address if it is written as one (an IPv6 zone ``%eth0`` dropped)."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def forbidden(address: IPAddress) -> bool:
    """Whether ``address`` is one a webhook must not be sent to."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # a connection to it goes to the IPv4 address
            return forbidden(address.ipv4_mapped)
        embedded = [address.sixtofour, *(address.teredo or ())]
        if any(inner is not None and forbidden(inner) for inner in embedded):
            return True
    return (
        not address.is_global
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _scheme_refusal(parts: urllib.parse.SplitResult) -> str | None:
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return gettext("接收地址须为 http:// 或 https:// 开头的完整网址")
    return None


def _port(parts: urllib.parse.SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def _address_refusal(host: str, addresses: list[IPAddress]) -> str | None:
    bad = [a for a in addresses if forbidden(a)]
    if not bad:
        return None
    return gettext(
        "接收地址 %(host)s 指向本机、内网或保留地址（%(address)s），不能接收外发事件；"
        "园区内网的接收方须由运维开启 WEBHOOK_ALLOW_PRIVATE_HOSTS"
    ) % {"host": host, "address": str(bad[0])}


def url_refusal(url: str) -> str | None:
    """Why ``url`` may not be a subscription's receiver under the address rule, else ``None``
    (the URL's form is checked before, by ``services.url_problem``)."""
    parts = urllib.parse.urlsplit(url)
    scheme = _scheme_refusal(parts)
    if scheme or allow_private():
        return scheme
    host = parts.hostname or ""
    address = literal(host)
    if address is not None:
        return _address_refusal(host, [address])
    try:
        found = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolve(host, _port(parts))]
    except (OSError, UnicodeError, ValueError):
        return None  # not resolvable now: checked again at each delivery
    return _address_refusal(host, found)


@dataclass(frozen=True)
class Target:
    """Where one delivery goes: the address to connect to (``None``: resolve as usual, when
    private hosts are allowed), or why it is refused (``refusal``) or could not be resolved
    (``unresolved``)."""

    address: str | None = None
    refusal: str = ""
    unresolved: str = ""


def delivery_target(url: str) -> Target:
    """The address a delivery to ``url`` is sent to, checked now (see the module)."""
    parts = urllib.parse.urlsplit(url)
    scheme = _scheme_refusal(parts)
    if scheme:
        return Target(refusal=scheme)
    if allow_private():
        return Target()
    host = parts.hostname or ""
    address = literal(host)
    if address is not None:
        refusal = _address_refusal(host, [address])
        return Target(refusal=refusal) if refusal else Target(address=str(address))
    try:
        found = resolve(host, _port(parts))
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
    except (OSError, UnicodeError, ValueError) as exc:
        return Target(unresolved=f"{type(exc).__name__}: {exc}")
    if not addresses:
        return Target(unresolved=gettext("接收地址无法解析"))
    refusal = _address_refusal(host, addresses)
    return Target(refusal=refusal) if refusal else Target(address=found[0])
