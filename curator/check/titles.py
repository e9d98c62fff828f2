"""Page title and description from the first bytes of an HTML page.

Input: the (decompressed, capped) bytes of a page up to `</head>` and the charset from the
HTTP Content-Type, if any. Output: `PageMeta(title, description)`, whitespace collapsed and
capped at `MAX_TEXT` characters; None where the page has none. Config: none.

Decoding order: the HTTP charset, then `<meta charset>` / `http-equiv` in the first bytes,
then a BOM, then strict UTF-8 (cheap and nearly never wrong when it succeeds), then
charset-normalizer detection. A declared charset that fails to decode strictly is skipped,
since Chinese sites often declare one charset and serve another. Labels map to the
superset browsers use (gb2312/gbk → gb18030, big5 → big5hkscs, latin-1 → cp1252).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

MAX_TEXT = 300
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
    from charset_normalizer import from_bytes  # imported lazily: most pages never need it

    best = from_bytes(body).best()
    if best is not None:
        return str(best)
    return body.decode("utf-8", "replace")


def clean_text(text: str | None) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text[:MAX_TEXT] or None


def extract_meta(body: bytes, http_charset: str | None = None) -> PageMeta:
    """Title (falling back to og:title) and description (falling back to og:description)."""
    if not body:
        return PageMeta()
    from bs4 import BeautifulSoup, SoupStrainer  # lazily: workers that never see HTML skip it

    text = decode_html(body, http_charset)
    soup = BeautifulSoup(text, "html.parser", parse_only=SoupStrainer(["title", "meta"]))
    title_tag = soup.find("title")
    title = clean_text(title_tag.get_text()) if title_tag is not None else None
    metas: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = str(tag.get("property") or tag.get("name") or "").strip().lower()
        content = tag.get("content")
        if key and isinstance(content, str) and key not in metas:
            metas[key] = content
    return PageMeta(
        title=title or clean_text(metas.get("og:title")),
        description=clean_text(metas.get("description")) or clean_text(metas.get("og:description")),
    )
