"""Page title and description from the first bytes of an HTML page.

Input: the (decompressed, capped) bytes of a page up to `</head>` and the charset from the
HTTP Content-Type, if any. Output: `PageMeta(title, description)`, whitespace collapsed and
capped at `MAX_TEXT` characters; None where the page has none. Config: none. Parsed with
beautifulsoup4 (html.parser backend), building nodes only for <title> and <meta>.

Decoding order: the HTTP charset, then `<meta charset>` / `http-equiv` in the first bytes,
then a BOM, then strict UTF-8 (cheap and nearly never wrong when it succeeds), then a
GBK-vs-Big5 plausibility check (undeclared Chinese heads are too short for generic
detection), then charset-normalizer detection. A declared charset that fails to decode
strictly is skipped, since Chinese sites often declare one charset and serve another.
Labels map to the superset browsers use (gb2312/gbk → gb18030, big5 → big5hkscs,
latin-1 → cp1252). Known gap: an undeclared EUC-KR page reads as GBK (the byte ranges
coincide); Korean sites declare their charset or use UTF-8 in practice.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, SoupStrainer, Tag

MAX_TEXT = 300
_MIN_PLAUSIBLE = 0.6  # below this, neither Chinese decoding is trusted
_SNIFF_BYTES = 4096
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE
)
_CT_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
# WHATWG: these labels mean the superset encoding on the web.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "euc-cn": "gb18030",
    "big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "shift_jis": "cp932",
    "sjis": "cp932",
    "euc-kr": "cp949",
    "tis-620": "cp874",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


# Chinese pages are handled before detection (see _guess_chinese).
_DETECT_ORDER = (
    "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258",
    "cp932", "euc_jp", "cp949", "koi8_r", "koi8_u", "iso8859_2", "iso8859_5", "iso8859_7",
    "iso8859_15", "cp874", "cp866",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PageMeta:
    title: str | None = None
    description: str | None = None


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _CT_CHARSET.search(content_type)
    return match.group(1) if match else None


def _codec(label: str | None) -> str | None:
    """A Python codec name for a charset label, or None when unknown."""
    if not label:
        return None
    label = label.strip().lower()
    label = _SUPERSETS.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _strict(body: bytes, codec: str) -> str | None:
    # final=False: the body is cut at the cap, possibly inside a multi-byte character.
    try:
        return codecs.getincrementaldecoder(codec)("strict").decode(body, final=False)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(body: bytes, http_charset: str | None = None) -> str:
    """Decode HTML bytes: HTTP charset, meta charset, BOM, UTF-8, then detection."""
    candidates = [_codec(http_charset)]
    meta = _META_CHARSET.search(body[:_SNIFF_BYTES])
    candidates.append(_codec(meta.group(1).decode("ascii", "replace")) if meta else None)
    candidates += [codec for bom, codec in _BOMS if body.startswith(bom)]
    candidates.append("utf-8")
    has_utf16_bom = body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    for codec in dict.fromkeys(c for c in candidates if c):
        # A page whose meta tag we could read as ASCII is not UTF-16, whatever it declares.
        if codec.startswith("utf-16") and not has_utf16_bom:
            continue
        text = _strict(body, codec)
        if text is not None:
            return text.lstrip("\ufeff")
    text = _guess_chinese(body)
    if text is not None:
        return text
    return _detect(body)


def _detect(body: bytes) -> str:
    """charset-normalizer over the legacy encodings still seen on the web: least chaos, then
    most coherent language; remaining ties (common on short heads) go to the earlier one in
    `_DETECT_ORDER`, as browsers default to cp1252."""
    from charset_normalizer import from_bytes  # imported lazily: most pages never need it

    matches = list(from_bytes(body, cp_isolation=list(_DETECT_ORDER)))
    if not matches:
        return body.decode("utf-8", "replace")
    rank = {name: i for i, name in enumerate(_DETECT_ORDER)}
    best = min(
        matches,
        key=lambda m: (round(m.chaos, 2), -round(m.coherence, 2), rank.get(m.encoding, 99)),
    )
    return str(best)


def _pairs(leads: range, trails: list[int], codec: str, last: int = 0xFFFF) -> set[str]:
    chars = set()
    for lead in leads:
        for trail in trails:
            if (lead << 8 | trail) <= last:
                with contextlib.suppress(UnicodeDecodeError):
                    chars.add(bytes((lead, trail)).decode(codec))
    return chars


@functools.cache
def _hanzi_tiers(codec: str) -> tuple[frozenset[str], frozenset[str]]:
    """(common, less common) characters of a Chinese codec, from the layout of the
    standard itself: GB2312 levels 1 and 2, or Big5's frequent and less-frequent blocks.
    Characters outside them (GBK/HKSCS extensions) are what mis-decoded bytes turn into."""
    gb_trails = list(range(0xA1, 0xFF))
    if codec == "gb18030":
        return (
            frozenset(_pairs(range(0xB0, 0xD8), gb_trails, "gb2312")),
            frozenset(_pairs(range(0xD8, 0xF8), gb_trails, "gb2312")),
        )
    big5_trails = list(range(0x40, 0x7F)) + gb_trails
    return (
        frozenset(_pairs(range(0xA4, 0xC7), big5_trails, "big5", last=0xC67E)),
        frozenset(_pairs(range(0xC9, 0xFA), big5_trails, "big5")),
    )


def _plausibility(text: str, codec: str) -> float:
    """Share of non-ASCII characters that look like real Chinese text in `codec`: common
    hanzi and CJK punctuation count 1, less common ones 1/2, private-use characters -1."""
    common, fair = _hanzi_tiers(codec)
    total, score = 0, 0.0
    for ch in text:
        code = ord(ch)
        if code < 0x80:
            continue
        total += 1
        if ch in common or 0x3000 <= code <= 0x30FF or 0xFF00 <= code <= 0xFFEF:
            score += 1
        elif ch in fair:
            score += 0.5
        elif 0xE000 <= code <= 0xF8FF:
            score -= 1
    return score / total if total else 0.0


def _guess_chinese(body: bytes) -> str | None:
    """Undeclared GBK or Big5: charset-normalizer often mistakes a short head for
    Shift-JIS or EUC-KR, so both Chinese decodings are scored on how plausible their
    characters are; a tie goes to the one charset-normalizer finds less chaotic."""
    decoded = {}
    for codec in ("gb18030", "big5hkscs"):
        text = _strict(body, codec)
        if text is not None:
            decoded[codec] = (_plausibility(text, codec), text)
    if not decoded:
        return None
    top = max(score for score, _ in decoded.values())
    if top < _MIN_PLAUSIBLE:
        return None
    best = [codec for codec, (score, _) in decoded.items() if score == top]
    if len(best) > 1:
        from charset_normalizer import from_bytes

        ranked = sorted(from_bytes(body, cp_isolation=["gb18030", "big5"]), key=lambda m: m.chaos)
        names = ["big5hkscs" if m.encoding == "big5" else m.encoding for m in ranked]
        best.sort(key=lambda c: names.index(c) if c in names else len(names))
    return decoded[best[0]][1]


def clean_text(text: str | None) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text[:MAX_TEXT] or None


# Only <title> and <meta> become tree nodes. Scripts, styles, inline SVG (whose <title> is
# an icon's, not the page's), comments and <link>s are cut out before bs4 sees the head:
# they are most of a real head's bytes, and bs4 costs ~10 µs per tag it scans.
_HEAD_TAGS = SoupStrainer(["title", "meta"])
_NOISE = re.compile(
    r"<script\b.*?</script\s*>|<style\b.*?</style\s*>|<svg\b.*?</svg\s*>|<!--.*?-->"
    r"|<link\b[^>]*>|<noscript\b.*?</noscript\s*>",
    re.IGNORECASE | re.DOTALL,
)


def extract_meta(body: bytes, http_charset: str | None = None) -> PageMeta:
    """Title (falling back to og:title) and description (falling back to og:description)."""
    if not body:
        return PageMeta()
    try:
        head = _NOISE.sub(" ", decode_html(body, http_charset))
        # Nothing before the first <title or <meta can matter (noise is already cut), and
        # html.parser costs about 20 µs per tag; a head with neither needs no parse at all.
        lowered = head.lower()
        starts = [i for i in (lowered.find("<title"), lowered.find("<meta")) if i >= 0]
        if not starts:
            return PageMeta()
        soup = BeautifulSoup(head[min(starts) :], "html.parser", parse_only=_HEAD_TAGS)
    except Exception:  # html.parser is lenient; never let odd markup cost the check
        return PageMeta()
    title = None
    metas: dict[str, str] = {}
    # One walk over the few nodes the strainer kept: find()/find_all() build a filter
    # per call, which cost a quarter of the whole extraction on a typical head.
    for node in soup.descendants:
        if not isinstance(node, Tag):
            continue
        if node.name == "title":
            if title is None:
                title = clean_text(node.get_text()) or ""
            continue
        key = str(node.get("property") or node.get("name") or "").strip().lower()
        content = node.get("content")
        if key and content is not None:
            metas.setdefault(key, str(content))
    # A soup's nodes point at each other: freed by reference counting once the tree is
    # taken apart, instead of piling up for the cyclic GC (a third of a check's garbage).
    for child in list(soup.contents):
        child.decompose()
    soup.decompose()
    return PageMeta(
        title=title or clean_text(metas.get("og:title")),
        description=clean_text(metas.get("description")) or clean_text(metas.get("og:description")),
    )
