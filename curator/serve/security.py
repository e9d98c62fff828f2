"""Who may use the triage page: the bind address rule, the access token, CSRF tokens.

Input: the address to bind, the `--token` (or None), a per-process secret, tokens a
request carries. Output: `check_bind` (raises `InputError`: a non-loopback address needs a
token), `token_matches`, and `Csrf`, which issues and verifies the token every POST form
carries. Config: `CSRF_MAX_AGE_S`.

CSRF tokens are `<unix time>.<HMAC-SHA256(secret, time)>`, the secret made fresh by each
server process: a page from another site cannot read one (same-origin policy), a token
outlives neither its 12 hours nor the process, and checking one needs no stored state.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import time

from curator.errors import InputError

CSRF_MAX_AGE_S = 12 * 3600
LOOPBACK_NAMES = frozenset({"localhost"})


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Anything but a loopback address reaches other machines: only with a token."""
    if not is_loopback(host) and not (token or "").strip():
        raise InputError(
            f"--host {host}: serving on a non-loopback address needs --token (requests must "
            "carry it); without one, bind to 127.0.0.1"
        )


def token_matches(expected: str, supplied: str | None) -> bool:
    return supplied is not None and hmac.compare_digest(expected.encode(), supplied.encode())


class Csrf:
    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def _mac(self, stamp: str) -> str:
        return hmac.new(self._secret, stamp.encode(), hashlib.sha256).hexdigest()

    def issue(self, now: float | None = None) -> str:
        stamp = str(int(now if now is not None else time.time()))
        return f"{stamp}.{self._mac(stamp)}"

    def valid(self, token: str | None, now: float | None = None) -> bool:
        if not token or "." not in token:
            return False
        stamp, mac = token.split(".", 1)
        if not stamp.isdigit() or not hmac.compare_digest(mac, self._mac(stamp)):
            return False
        age = (now if now is not None else time.time()) - int(stamp)
        return 0 <= age <= CSRF_MAX_AGE_S
