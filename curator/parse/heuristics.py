"""Text heuristics of awesome-style lists: separators, generic link labels, outline lines.

Input: plain strings. Output: booleans and split strings used by the block walker. These
look at the text of one line that markdown-it already delimited; block structure always
comes from tokens. Config: the word lists below.
"""

from __future__ import annotations

import re

# A note bullet whose first link carries one of these labels is a sub-link of its parent
# (`* [github](..), [arxiv](..)`), not a curated item of its own.
GENERIC_LABELS = frozenset(
    (
        "github gitlab gitee code repo source arxiv paper pdf ppt "
        "slides slide blog doc docs documentation demo video youtube "
        "bilibili b站 homepage website site project page link here "
        "this 这里 下载 链接 地址 论文 代码 博客 专栏 官网 主页 视频 文档 微信 wechat 知乎 zhihu "
        "weibo 微博 twitter hacker news huggingface hf haai aijishu "
        "csdn medium kaggle colab notebook 论文预印版 原文 全文 中文版 英文版 译文 "
        "翻译 解读 解析 pdf下载 官方 github.io paper with code paperswithcode "
        "dataset 数据集 model 模型 weights checkpoint"
    ).split()
)
_GENERIC_PHRASES = frozenset({"hacker news", "paper with code", "paper with codes", "github 代码"})

SEPARATORS = ("：", ": ", " - ", "——", " — ", " – ", " | ")
_ASCII_COLON = re.compile(r":(?!//)(?=[^\s\x00-\x7f])")  # `PLASTER:一个…` (no space before CJK)
_LEADING_SEPS = " \t:：,，;；-—–、|"

_CN_NUM = "一二三四五六七八九十"
_OUTLINE_TOP = re.compile(rf"^[{_CN_NUM}]{{1,3}}[,，、.．]\s*(\S.{{0,30}})$")
_OUTLINE_SUB = re.compile(r"^(\d{1,2})[.．](\d{1,2})[,，、]\s*(\S.{0,40})$")
_NUMBERED = re.compile(r"^\s*(\d{1,2}|[" + _CN_NUM + r"]{1,3})\s*[,，、.．]\s*")


def is_generic_label(text: str) -> bool:
    low = " ".join(text.lower().split())
    if not low:
        return True
    if low in GENERIC_LABELS or low in _GENERIC_PHRASES:
        return True
    words = re.split(r"[\s@/|]+", low)
    return all(w in GENERIC_LABELS for w in words if w)


def strip_leading_separators(text: str) -> str:
    return text.lstrip(_LEADING_SEPS).strip()


def split_title(text: str) -> tuple[str, str]:
    """Split `Title: description` at the earliest separator; no separator → all title."""
    best = -1
    sep_len = 0
    for sep in SEPARATORS:
        pos = text.find(sep)
        if pos > 0 and (best < 0 or pos < best):
            best, sep_len = pos, len(sep)
    m = _ASCII_COLON.search(text)
    if m and m.start() > 0 and (best < 0 or m.start() < best):
        best, sep_len = m.start(), 1
    if best < 0:
        return text.strip(), ""
    return text[:best].strip(), text[best + sep_len :].strip()


_LONG_WORD = re.compile(r"[^\W\d_][\w'’/-]{3,}")


def reads_as_title(text: str) -> bool:
    """`Self-Distillation Pruning for Efficient Models`: most long words capitalised, no
    closing full stop; a sentence (`estimates memory use for training.`) is not a title."""
    words = _LONG_WORD.findall(text)
    if not words or text.rstrip().endswith((".", "。")):
        return False
    upper = sum(1 for w in words if w[0].isupper())
    return upper * 3 >= len(words) * 2


_SENTENCE_BREAK = re.compile(r"[.!?。！？]\s+\S")


def reads_as_sentence(text: str) -> bool:
    """`Estimates memory use. Supports X.`: a description, not a lower-case subtitle
    (`Pruning and growth for efficient inference`): it ends with a full stop, holds two
    sentences, or runs longer than paper titles do."""
    text = text.strip()
    if not text or reads_as_title(text):
        return False
    return (
        text.endswith((".", "。")) or bool(_SENTENCE_BREAK.search(text)) or len(text.split()) >= 18
    )


def outline_level(line: str) -> tuple[int, str] | None:
    """`一,计算机系统` → (2, '计算机系统'); `1.1,计算机系统书籍` → (3, …); else None."""
    line = line.strip()
    m = _OUTLINE_TOP.match(line)
    if m:
        return 2, line
    m = _OUTLINE_SUB.match(line)
    if m:
        return 3, line
    return None


def looks_like_pseudo_heading(text: str, all_strong: bool) -> bool:
    """`1，**神经网络基础部件**：`, `**chatglm-6b 模型**`, `2，一些笔记好的博客链接：`."""
    text = text.strip()
    if not text or len(text) > 60 or "\n" in text:
        return False
    if all_strong:
        return True
    return bool(_NUMBERED.match(text)) and text.endswith((":", "："))


def heading_title(text: str) -> str:
    """A category name as shown: strip trailing colons of pseudo headings."""
    return text.strip().rstrip(":：").strip()
