"""`check --header "host: Name: value"` and `--user-agent TEXT`, read and vetted.

Input: the option texts (and curator.toml's `[check.headers]`, which `merge_headers` puts
under them). Output: host → {header name: value} for `CheckConfig.headers`
(sent only to that exact host: never across a redirect to another host), or
InputError (exit 2) for a malformed header, a header the transport must set itself, or
a value with line breaks (which would smuggle a header into the request).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from curator.errors import InputError

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_HOST = re.compile(r"^[0-9a-z.-]+$|^\[[0-9a-f:.]+\]$")
# Set by the transport from the request itself; a user value would corrupt the message.
_RESERVED = {"host", "content-length", "transfer-encoding", "connection", "te", "upgrade"}


def _value(text: str, what: str) -> str:
    if any(c in text for c in "\r\n\0"):
        raise InputError(f"{what}: a header value cannot contain a line break")
    return text.strip()


def user_agent(text: str) -> str:
    value = _value(text, "--user-agent")
    if not value:
        raise InputError("--user-agent cannot be empty")
    return value


def parse_headers(options: Iterable[str]) -> dict[str, dict[str, str]]:
    """`host: Name: value` options → {host: {Name: value}} (a later one wins)."""
    out: dict[str, dict[str, str]] = {}
    for text in options:
        host, _, rest = text.partition(":")
        name, sep, value = rest.partition(":")
        host, name = host.strip().lower(), name.strip()
        if not sep or not host or not name:
            raise InputError(f"--header {text!r}: expected 'host: Name: value'")
        if not _HOST.match(host):
            raise InputError(f"--header {text!r}: {host!r} is not a host name")
        if not _TOKEN.match(name):
            raise InputError(f"--header {text!r}: {name!r} is not a header name")
        if name.lower() in _RESERVED:
            raise InputError(f"--header {text!r}: {name} is set by curator itself")
        # httpx gives an IPv6 host without its brackets; so does the key.
        out.setdefault(host.strip("[]"), {})[name] = _value(value, f"--header {text!r}")
    return out


def merge_headers(
    base: Mapping[str, Mapping[str, str]], over: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, str]]:
    """`base` (the file's) with `over` (`--header`) on top: per host, a header named in
    both (in any case) is sent once, with `over`'s value."""
    out = {host.lower().strip("[]"): dict(names) for host, names in base.items()}
    for host, names in over.items():
        mine = out.setdefault(host, {})
        for name, value in names.items():
            for old in [n for n in mine if n.lower() == name.lower()]:
                del mine[old]
            mine[name] = value
    return out
