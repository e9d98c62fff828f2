"""GitHub's extended autolinks (bare `https://…`, `ftp://…`, `www.…` and emails) as a
markdown-it core rule.

Input: the inline tokens markdown-it produced. Output: the same tokens, with bare URLs in
text split out into `link_open`/`text`/`link_close` (markup "linkify", info "auto").
Follows the GFM spec's rules: `www.` only at a word start (after space, `*`, `_`, `~`,
`(`), the URL runs to whitespace or `<`, and trailing `?!.,:*_~'"`, unbalanced `)` and
entity-like `&x;` are not part of it. It runs after `text_join`, on the text as GitHub's
autolinker sees it: a URL runs on through backslash escapes (`\\(`) and `&amp;` entities.
A URL with a scheme needs no dot in its host (`http://localhost:8080/`); `www.` needs one.
A bare email becomes a `mailto:` link. Written here rather than using linkify-it because
linkify-it links things GitHub does not (bare `example.com`) and costs ~30 % of parse time.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

_CANDIDATE = re.compile(
    r"(?:(?:https?|ftp)://|(?:(?<=^)|(?<=[\s*_~(]))www\.)[^\s<]+", re.IGNORECASE
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.ASCII)
_DOMAIN = re.compile(r"^[\w-]+(?:\.[\w-]+)*")
_TRAILING = "?!.,:*_~'\""
_ENTITY_TAIL = re.compile(r"&[A-Za-z0-9]+;$")


def _trim(url: str) -> str:
    while url:
        last = url[-1]
        if last in _TRAILING or (last == ")" and url.count("(") < url.count(")")):
            url = url[:-1]
        elif last == ";" and (m := _ENTITY_TAIL.search(url)):
            url = url[: m.start()]
        else:
            break
    return url


def _valid(url: str) -> bool:
    scheme = "://" in url
    rest = url.split("://", 1)[1] if scheme else url
    m = _DOMAIN.match(rest)
    if not m or ("." not in m.group(0) and not scheme):
        return False
    if "." not in m.group(0):
        return True  # `http://localhost:8080/`
    labels = m.group(0).split(".")
    return not any("_" in label for label in labels[-2:])


def find_autolinks(text: str) -> list[tuple[int, int, str]]:
    found = []
    for m in _CANDIDATE.finditer(text):
        start = m.start()
        if (
            start > 0
            and m.group(0)[0] in "hH"
            and text[start - 1].isascii()
            and (text[start - 1].isalnum())
        ):
            continue  # `xhttp://` is not a scheme start
        url = _trim(m.group(0))
        if not _valid(url):
            continue
        found.append((start, start + len(url), url))
    if "@" in text:
        found = _with_emails(text, found)
    return found


def _with_emails(text: str, urls: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    out = list(urls)
    for m in _EMAIL.finditer(text):
        start, email = m.start(), m.group(0).rstrip(".")
        if email[-1] in "-_" or any(s <= start < e for s, e, _ in urls):
            continue  # GFM: not ending in `-`/`_`; `user@host` inside a URL is the URL's
        if start >= 7 and text[start - 7 : start].lower() == "mailto:":
            continue
        out.append((start, start + len(email), "mailto:" + email))
    return sorted(out)


def _autolink_rule(state: StateCore) -> None:
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        in_link = 0
        changed = False
        for tok in block.children:
            if tok.type == "link_open":
                in_link += 1
            elif tok.type == "link_close":
                in_link -= 1
            elif tok.type == "html_inline":
                low = tok.content.lower()
                if low.startswith("<a ") or low == "<a>":
                    in_link += 1
                elif low.startswith("</a"):
                    in_link -= 1
            if (
                tok.type != "text"
                or in_link > 0
                or (
                    "://" not in tok.content
                    and "www." not in tok.content.lower()
                    and "@" not in tok.content
                )
            ):
                children.append(tok)
                continue
            pos = 0
            for start, end, url in find_autolinks(tok.content):
                href = url if "://" in url or url.startswith("mailto:") else "http://" + url
                if start > pos:
                    children.append(_text(tok.content[pos:start], tok.level))
                link = Token(
                    "link_open",
                    "a",
                    1,
                    attrs={"href": href},
                    markup="linkify",
                    info="auto",
                    level=tok.level,
                )
                children += [
                    link,
                    _text(url.removeprefix("mailto:"), tok.level + 1),
                    Token("link_close", "a", -1, markup="linkify", info="auto", level=tok.level),
                ]
                pos = end
                changed = True
            if pos == 0:
                children.append(tok)
            elif pos < len(tok.content):
                children.append(_text(tok.content[pos:], tok.level))
        if changed:
            block.children = children


def _text(content: str, level: int) -> Token:
    return Token("text", "", 0, content=content, level=level)


def enable_autolinks(md: MarkdownIt) -> None:
    md.core.ruler.after("text_join", "gfm_autolink", _autolink_rule)
