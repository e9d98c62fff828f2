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


# Paths a site sends visitors it cannot serve: a redirect of a deep link to one of these
# says the page is gone, not moved.
_LOGIN_PATH = re.compile(
    r"^/(?:[a-z]{2}(?:[-_][a-z]{2})?/)?(?:login|log-in|signin|sign-in|sign_in|auth|account/login"
    r"|users/sign_in|user/login|accounts/login|session/new)(?:/|\.\w+)?$",
    re.IGNORECASE,
)


def redirect_to_root(source: str, target: str) -> bool:
    """True when `source`, a deep link (a path or query beyond the root), leads to the site's
    root page or to a login page: a soft 404, never a move worth writing into a list."""
    try:
        src, dst = urlsplit(source), urlsplit(target)
    except ValueError:
        return False
    if (src.path.rstrip("/") == "" and not src.query) or not dst.netloc:
        return False
    same_site = _site(src.hostname or "") == _site(dst.hostname or "")
    if dst.path.rstrip("/") in ("", "/index.html", "/index.php") and not dst.query:
        return same_site
    return bool(_LOGIN_PATH.match(dst.path)) and src.path != dst.path


def _site(host: str) -> str:
    """`host` without a leading www. (www.example.org and example.org are one site)."""
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host
