"""Which address a request comes from: the peer, unless the peer is a trusted proxy."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

UNKNOWN = "unknown"


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_address(peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[str]) -> str:
    """The client address for rate limiting.

    ``X-Forwarded-For`` is only believed when the peer is one of the ``trusted`` proxies
    (addresses or networks): anyone else could write any address into it and so escape
    every per-address limit. Walking the list from the right, each hop appended by a
    trusted proxy is skipped; the first hop that is not a trusted proxy is the client.
    """
    networks = [ipaddress.ip_network(item, strict=False) for item in trusted]

    def is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(address in network for network in networks)

    peer_ip = _parse(peer) if peer else None
    if peer_ip is None:
        return peer or UNKNOWN
    if not networks or not is_trusted(peer_ip):
        return str(peer_ip)
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    client = peer_ip
    for hop in reversed(hops):
        hop_ip = _parse(hop)
        if hop_ip is None:
            break  # garbage from an untrusted hop: stop at the last address we believe
        client = hop_ip
        if not is_trusted(hop_ip):
            break
    return str(client)
