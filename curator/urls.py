"""URL identity: classification of link targets, normalization and host extraction.

Input: an href exactly as written in Markdown. Output: `LinkKind`, a normalized URL string
used as identity (lowercase scheme and host, no default port, no `utm_*` parameters, no
trailing-slash difference, no fragment), and the host. Pure functions, no I/O, no config.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

# Zero-width and BOM characters survive copy-paste from web pages into lists; GitHub drops
# them from autolinks, so identity must too.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING_PREFIXES = ("utm_",)
_TRACKING_KEYS = frozenset({"fbclid", "gclid", "spm_id_from", "vd_source"})


class LinkKind(StrEnum):
    WEB = "web"  # http / https
    RELATIVE = "relative"  # ./docs/x.md, ../README.md
    ANCHOR = "anchor"  # #section
    MAILTO = "mailto"
    IMAGE = "image"  # set by the parser for ![alt](src)
    OTHER = "other"  # ftp:, file:, javascript:, …


def strip_invisible(text: str) -> str:
    # isascii() is a fast exit for the common case; translate() is slow on every string.
    return text if text.isascii() else text.translate(_INVISIBLE)


def clean_href(href: str) -> str:
    """The href as a browser would use it: trimmed, with invisible characters removed."""
    return strip_invisible(href).strip()


@lru_cache(maxsize=65536)
def classify(href: str) -> LinkKind:
    href = clean_href(href)
    if not href:
        return LinkKind.OTHER
    if href.startswith("#"):
        return LinkKind.ANCHOR
    try:
        scheme = urlsplit(href).scheme.lower() if ":" in href else ""
    except ValueError:  # linkify can yield `http://1.1,](`: an unbalanced bracket in the host
        scheme = href.split(":", 1)[0].lower()
    if scheme in ("http", "https"):
        return LinkKind.WEB
    if scheme == "mailto":
        return LinkKind.MAILTO
    if scheme and len(scheme) > 1:  # a one-letter "scheme" is a Windows drive: relative
        return LinkKind.OTHER
    if href.startswith("//"):
        return LinkKind.WEB
    return LinkKind.RELATIVE


@lru_cache(maxsize=65536)
def host_of(url: str) -> str:
    try:
        return (urlsplit(clean_href(url)).hostname or "").lower()
    except ValueError:
        return ""


def host_of_normalized(norm: str) -> str:
    """Host of a URL already in `normalize` form (lowercase, no default port): string ops."""
    rest = norm.split("://", 1)[-1]
    hostport = rest.split("/", 1)[0].split("?", 1)[0].rpartition("@")[2]
    if hostport.startswith("["):
        return hostport[1 : hostport.find("]")]
    return hostport.rsplit(":", 1)[0] if ":" in hostport else hostport


_PLAIN_PATH = re.compile(r"^[A-Za-z0-9/._~!$&'()*+,;=:@-]*$")


@lru_cache(maxsize=65536)
def normalize(href: str) -> str:
    """Identity form of a URL. Non-web hrefs are only cleaned, never rewritten."""
    href = clean_href(href)
    head = href[:8].lower()
    if href.startswith("//"):
        href = "https:" + href
    elif not head.startswith(("http://", "https://")):
        return href
    try:
        parts = urlsplit(href)
        netloc = parts.netloc
        userinfo, _, hostport = netloc.rpartition("@")
        host, port = _split_hostport(hostport)
    except ValueError:
        return href
    scheme = parts.scheme.lower()
    netloc = host.lower().rstrip(".")
    if port and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    path = parts.path
    if not _PLAIN_PATH.match(path):  # only re-encode what needs it (hot loop on import)
        path = quote(unquote(path), safe="/:@!$&'()*+,;=~%-._")
    path = path or "/"
    if path != "/" and path.endswith("/"):
        path = path.rstrip("/") or "/"
    query = parts.query
    if query:
        pairs = [
            (k, v)
            for k, v in parse_qsl(query, keep_blank_values=True)
            if not k.lower().startswith(_TRACKING_PREFIXES) and k.lower() not in _TRACKING_KEYS
        ]
        query = urlencode(pairs, doseq=True) if pairs else ""
    return urlunsplit((scheme, netloc, path, query, ""))


def _split_hostport(hostport: str) -> tuple[str, int | None]:
    if hostport.startswith("["):  # IPv6 literal keeps its brackets
        end = hostport.find("]")
        host, rest = hostport[: end + 1], hostport[end + 1 :]
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    host, sep, port = hostport.rpartition(":")
    if sep and port.isdigit():
        return host, int(port)
    if sep and not port:
        return host, None
    return hostport, None


# A "move" to one of these is how many sites answer for a page they no longer have: a
# permanent redirect to the home page or to a sign-in form. Taking it as the page's new
# address would replace a specific link with a generic one.
_HOME_PATH = re.compile(
    r"^/?(?:(?:index|default|home)(?:\.[a-z]{2,5})?"
    r"|(?:en|zh|ja|ko|de|fr|es|pt|ru|it|nl|pl|tr|ar|vi)(?:[-_][a-z]{2,4})?/?)?$",
    re.I,
)
_LOGIN_WORDS = frozenset(
    {
        "login",
        "logon",
        "signin",
        "signup",
        "register",
        "auth",
        "authorize",
        "authenticate",
        "sso",
        "oauth",
        "oauth2",
        "servicelogin",
        "accountslogin",
    }
)
_LOGIN_HOSTS = ("login.", "signin.", "sso.", "auth.")


class HarmfulMove(StrEnum):
    """Why a permanent redirect is not a move (a likely soft 404)."""

    SITE_ROOT = "redirects a deep link to the site's home page"
    OTHER_HOME = "redirects a deep link to another site's home page"
    LOGIN = "redirects to a login or sign-up page"


def _site(parts_netloc: str) -> str:
    host = parts_netloc.rpartition("@")[2].lower()
    return host.removeprefix("www.")


def _is_login(path: str, host: str) -> bool:
    words = {re.sub(r"[^a-z0-9]", "", seg.lower()) for seg in path.split("/")}
    return bool(words & _LOGIN_WORDS) or host.startswith(_LOGIN_HOSTS)


def is_harmful_move(old: str, new: str) -> HarmfulMove | None:
    """Why following the permanent redirect `old` → `new` would damage a list, or None.

    A deep link (a path beyond the home page, or a query) that lands on a home page (this
    site's or another's) or on a sign-in/sign-up page was not moved: the page is gone or
    hidden. A home page moving to another home page (a renamed domain) is a real move."""
    try:
        o, n = urlsplit(normalize(old)), urlsplit(normalize(new))
    except ValueError:
        return None
    o_host, n_host = _site(o.netloc), _site(n.netloc)
    if _is_login(n.path, n_host) and not _is_login(o.path, o_host):
        return HarmfulMove.LOGIN
    old_home = bool(_HOME_PATH.match(o.path)) and not o.query
    new_home = bool(_HOME_PATH.match(n.path)) and not n.query
    if new_home and not old_home:
        return HarmfulMove.SITE_ROOT if o_host == n_host else HarmfulMove.OTHER_HOME
    return None


def redirect_to_root(source: str, target: str) -> bool:
    """True when following the permanent redirect `source` → `target` would be harmful (see
    `is_harmful_move`): the checker counts it as a soft 404, never as a move."""
    return is_harmful_move(source, target) is not None
