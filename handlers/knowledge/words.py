"""Text into search words, the same way for indexing and for queries.

Chinese has no spaces between words: jieba segments it (search mode, so 网络连接 is found by
网络 too). jieba loads its dictionary on first use (about a second), so it is imported only
when a text has Chinese in it: the console's cold start and English-only teams never pay.
"""

from __future__ import annotations

import re
from functools import cache
from types import ModuleType

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"\w+")
MIN_LATIN = 2  # single letters and digits match too much to help


@cache
def _jieba() -> ModuleType:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def words(text: str) -> list[str]:
    """Lower-case search words of a text, each once, in order."""
    pieces = _jieba().cut_for_search(text) if _CJK.search(text) else [text]
    out: list[str] = []
    for piece in pieces:
        for word in _WORD.findall(piece.lower()):
            if (len(word) >= MIN_LATIN or _CJK.match(word)) and word not in out:
                out.append(word)
    return out


def search_text(*parts: str) -> str:
    """What the full-text index holds for an entry: its words, space-separated."""
    return " ".join(words(" ".join(parts)))
