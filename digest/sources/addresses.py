"""Which addresses a page may be fetched from: a feed's links are someone
else's words, and a link to http://192.168.1.1/ or http://localhost:8080/
must not make digest read the reader's own network (a router's page, a
local admin tool) and put it into the mail.

The check runs on the addresses a host name resolves to, at the moment of
connecting (fetch.py's backend calls it for every connection, so every hop
of a redirect is checked), and the connection goes to the address checked.
The lookup has a deadline: getaddrinfo has none of its own.
"""

from __future__ import annotations

import ipaddress
import socket
import threading

from ..files import TimedOut


class NotPublic(Exception):
    """The host is (or resolves only to) a loopback, private, link-local,
    multicast or otherwise non-public address."""


def public_addresses(host: str, port: int, timeout: float) -> list[str]:
    """The public addresses of `host`, in the resolver's order. Raises
    NotPublic when it has none, TimedOut when the lookup takes longer than
    `timeout` seconds, OSError when the name does not resolve."""
    addresses = _resolve(host.strip("[]"), port, timeout)
    public = [address for address in addresses if not refusal(address)]
    if not public:
        raise NotPublic(f"{host} is {refusal(addresses[0])}: not fetched "
                        "([articles] allow_private = true reads such pages)")
    return public


def refusal(address: str) -> str:
    """Why an IP address is not public ('' when it is)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        ip = _embedded_ipv4(ip) or ip
    for name, kind in (("a loopback", ip.is_loopback), ("a link-local", ip.is_link_local),
                       ("a multicast", ip.is_multicast), ("an unspecified", ip.is_unspecified),
                       ("a private", ip.is_private)):
        if kind:
            return f"{name} address ({ip})"
    return "" if ip.is_global else f"a non-public address ({ip})"


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries, which the packets reach: IPv4-
    mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::a.b.c.d: through the network's
    gateway), 6to4 (2002:aabb:ccdd::), IPv4-compatible (::a.b.c.d)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or (ip in _COMPATIBLE and int(ip) > 1):  # :: and ::1 are themselves
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _resolve(host: str, port: int, timeout: float) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    found: list = []
    done = threading.Event()

    def lookup() -> None:
        try:
            found.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as exc:
            found.append(exc)
        finally:
            done.set()

    # A daemon thread: a resolver that never answers is left behind, not waited for.
    threading.Thread(target=lookup, name="digest-resolve", daemon=True).start()
    if not done.wait(max(timeout, 0.001)):
        raise TimedOut()
    answer = found[0]
    if isinstance(answer, OSError):
        raise OSError(f"cannot resolve {host}: {answer.strerror or answer}")
    addresses = list(dict.fromkeys(info[4][0] for info in answer))
    if not addresses:
        raise OSError(f"cannot resolve {host}")
    return addresses
