"""Bytes of a list file → text, refusing what is not a text list.

Input: raw bytes and a display name. Output: `Decoded(text, encoding)`; encoding the text
with that encoding gives the original bytes back (round trip). Config: `MAX_BYTES`.
UTF-8 (with or without BOM) first, then UTF-16 by BOM, then charset-normalizer for legacy
encodings such as GBK or Big5, which Chinese lists still arrive in.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from charset_normalizer import from_bytes

from curator.errors import InputError

MAX_BYTES = 50 * 1024 * 1024
_PREFERENCE = [
    "gb18030",
    "gbk",
    "gb2312",
    "big5",
    "big5hkscs",
    "shift_jis",
    "euc_jp",
    "cp949",
    "euc_kr",
    "utf_16",
    "cp1252",
    "latin_1",
]


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str


def _control_ratio(text: str) -> float:
    bad = sum(1 for c in text if ord(c) < 32 and c not in "\t\n\r\f\v")
    return bad / max(len(text), 1)


def decode_bytes(data: bytes, name: str) -> Decoded:
    if len(data) > MAX_BYTES:
        raise InputError(f"{name}: file is {len(data) // (1024 * 1024)} MB, over the 50 MB limit")
    if not data.strip():
        raise InputError(f"{name}: file is empty")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Explicit endianness keeps the BOM as U+FEFF in the text, so encoding gives it back.
        enc = "utf-16-le" if data.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
        try:
            return Decoded(data.decode(enc), enc)
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}: invalid UTF-16 ({exc.reason})") from exc
    try:
        text = data.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        text, encoding = _guess(data, name)
    # A few stray NULs happen in real lists; a binary file is mostly control bytes.
    if _control_ratio(text[:65536]) > 0.05:
        raise InputError(f"{name}: looks like a binary file, not a Markdown list")
    return Decoded(text, encoding)


def _guess(data: bytes, name: str) -> tuple[str, str]:
    if b"\x00" in data[:4096] and data.count(b"\x00") > len(data) // 20:
        raise InputError(f"{name}: looks like a binary file, not a Markdown list")
    matches = list(from_bytes(data))
    if not matches:
        raise InputError(f"{name}: cannot tell the text encoding (save it as UTF-8)")
    # Short CJK texts decode cleanly in several legacy encodings (chaos 0 for cp949 and
    # gb18030 alike); among equally clean candidates prefer the likeliest for lists.
    least = min(m.chaos for m in matches)
    clean = [m.encoding for m in matches if m.chaos <= least + 0.01]
    encoding = min(clean, key=lambda e: _PREFERENCE.index(e) if e in _PREFERENCE else 99)
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputError(f"{name}: cannot decode as {encoding} (save it as UTF-8)") from exc
    if text.encode(encoding) != data:
        raise InputError(f"{name}: {encoding} text does not round-trip; save it as UTF-8")
    return text, encoding
