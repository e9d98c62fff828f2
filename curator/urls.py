"""URL identity: classification of link targets, normalization and host extraction.

Input: an href exactly as written in Markdown. Output: `LinkKind`, a normalized URL string
used as identity (lowercase scheme and host, no default port, no `utm_*` parameters, no
trailing-slash difference, no fragment), and the host. Pure functions, no I/O, no config.
"""

from __future__ import annotations

from enum import StrEnum
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
    return text.translate(_INVISIBLE)


def clean_href(href: str) -> str:
    """The href as a browser would use it: trimmed, with invisible characters removed."""
    return strip_invisible(href).strip()


def classify(href: str) -> LinkKind:
    href = clean_href(href)
    if not href:
        return LinkKind.OTHER
    if href.startswith("#"):
        return LinkKind.ANCHOR
    scheme = urlsplit(href).scheme.lower() if ":" in href else ""
    if scheme in ("http", "https"):
        return LinkKind.WEB
    if scheme == "mailto":
        return LinkKind.MAILTO
    if scheme and len(scheme) > 1:  # a one-letter "scheme" is a Windows drive: relative
        return LinkKind.OTHER
    if href.startswith("//"):
        return LinkKind.WEB
    return LinkKind.RELATIVE


def host_of(url: str) -> str:
    try:
        return (urlsplit(clean_href(url)).hostname or "").lower()
    except ValueError:
        return ""


def normalize(href: str) -> str:
    """Identity form of a URL. Non-web hrefs are only cleaned, never rewritten."""
    href = clean_href(href)
    if classify(href) is not LinkKind.WEB:
        return href
    if href.startswith("//"):
        href = "https:" + href
    try:
        parts = urlsplit(href)
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port
    except ValueError:
        return href
    scheme = parts.scheme.lower()
    netloc = host
    if ":" in host:  # IPv6 literal
        netloc = f"[{host}]"
    if parts.username:
        netloc = f"{parts.username}{':' + parts.password if parts.password else ''}@{netloc}"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=~%-._") or "/"
    if path != "/" and path.endswith("/"):
        path = path.rstrip("/") or "/"
    query_pairs = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(_TRACKING_PREFIXES) and k.lower() not in _TRACKING_KEYS
    ]
    query = urlencode(query_pairs, doseq=True) if query_pairs else ""
    return urlunsplit((scheme, netloc, path, query, ""))
