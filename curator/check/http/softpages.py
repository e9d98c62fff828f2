"""Pages that answer 200 but are gone: parking pages and soft 404s. Pure: no I/O.

Input: what the fetcher read of a 2xx HTML page (final URL, title, the head's bytes) and,
for soft 404s, the same of the run's probe of a path that cannot exist on that host.
Output: a reason (`PARKED`, `SOFT_404`) or None; `probe_url()` makes the probe's URL.
Config: none.

A page matches its host's probe when both were sent to the same other URL by redirects
(everything unknown lands on /404 or the home page), or when the probe's title says
"not found" and the page has that same title and the same size of head (a "Page not
found" template served with 200). A probe that answers 200 with an ordinary title (a
single-page app, a site whose every page has the same title) proves nothing, so it flags
nothing: the head alone cannot tell such pages apart. A probe answered 404/410 proves the
host honest, and the site root is never judged against it. One wrong verdict cannot
break a list: `gone` is confirmed across runs like any other.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

PARKED = "parked"
SOFT_404 = "soft-404"
SIZE_BUCKET = 1024  # bytes: heads within the same KiB count as the same template

# Parking providers' hosts and scripts, and the words of "for sale" pages.
_PARKED = re.compile(
    rb"sedoparking\.com|sedo\.com/(?:search|checkdomain)|(?<![\w.-])bodis\.com|parkingcrew\.net"
    rb"|(?<![\w.-])dan\.com/|afternic\.com|hugedomains\.com|parklogic\.com|above\.com/marketplace"
    rb"|domain (?:name )?(?:is|may be) for sale|buy this domain|this domain is parked"
    rb"|domain is parked|parked free, courtesy of",
    re.IGNORECASE,
)
_PARKING_HOSTS = frozenset(
    {"sedo.com", "bodis.com", "parkingcrew.net", "dan.com", "afternic.com", "hugedomains.com"}
)


@dataclass(frozen=True, slots=True)
class Page:
    """What a check read of a 2xx HTML answer."""

    url: str  # as asked for
    final_url: str  # after redirects
    title: str | None
    size: int  # bytes of the head read


def parked(page: Page, head: bytes) -> bool:
    """The page is a parking or domain-for-sale page."""
    if page.final_url != page.url:  # sent to a marketplace ("buy this domain")
        site = _site(page.final_url)
        if site in _PARKING_HOSTS and site != _site(page.url):
            return True
    return _PARKED.search(head) is not None or (
        page.title is not None and _PARKED.search(page.title.encode("utf-8", "replace")) is not None
    )


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def probe_url(url: str) -> str:
    """A URL on `url`'s origin that no site serves: a random path."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/curator-probe-{secrets.token_hex(12)}"


def is_root(url: str) -> bool:
    """`url` is its site's home page (string checks: this runs for every page)."""
    start = url.find("//")
    slash = url.find("/", start + 2 if start >= 0 else 0)
    if slash < 0:
        return "?" not in url
    return url[slash:] == "/"


def matches_probe(page: Page, probe: Page) -> bool:
    """`page` looks like what its host serves for a path that does not exist."""
    if is_root(page.url):
        return False
    redirected = probe.final_url != probe.url
    if redirected and page.final_url == probe.final_url and page.final_url != page.url:
        return True
    if not page.title or page.title != probe.title or not says_missing(probe.title):
        return False
    return page.size // SIZE_BUCKET == probe.size // SIZE_BUCKET


_MISSING = re.compile(
    r"\b(?:404|not found|page not found|no such page|does not exist|doesn'?t exist|not exist"
    r"|nicht gefunden|introuvable|no encontrad[ao]|non trovat[ao]|não encontrad[ao])\b"
    r"|找不到|不存在|未找到|页面丢失|見つかりません|찾을 수 없",
    re.IGNORECASE,
)


def says_missing(title: str | None) -> bool:
    """A title such as "Page not found" or "404": a site's missing-page template."""
    return bool(title) and _MISSING.search(title or "") is not None
