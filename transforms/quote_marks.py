"""Find quoted passages by their quote marks, across every common style.

Curly “…”, straight "…", guillemets «…» / »…«, German „…“, and the typewriter style of the New York
Times archive ''…'' / ``…''. A quote may run over several paragraphs: by convention each paragraph
re-opens the quote and only the last one closes it. A paragraph that never closes its quote ends it.

Headlines quote in single marks (‘Disgusting Fraud’, 'intentional act'): `find_quoted(title, single=True)`
also pairs those, where an opening mark starts a word and a closing one ends a word (not "It’s",
"Clinton aides' deals" with nothing open). Body text keeps single marks for quotes inside quotes.
"""

from __future__ import annotations

import re

# opener -> the marks that close it (checked longest first)
OPENERS: dict[str, tuple[str, ...]] = {
    "``": ("''", "”", '"'),
    "''": ("''",),
    "“": ("”", '"'),
    "«": ("»",),
    "„": ("“", "”"),
    '"': ('"', "”"),
    "»": ("«",),
    "”": ("”",),  # only where a paragraph opens with it (see _opener_at)
}
_OPEN_ORDER = sorted((m for m in OPENERS if m != "”"), key=len, reverse=True)
_TRIM_END = " \t\n,;:"
_INTERESTING = re.compile(r"[\n“”\"«»„'`]")
_TRIM_START = " \t\n'`"


def _opener_at(text: str, i: int) -> str | None:
    if text.startswith("”", i) and (i == 0 or text[i - 1] == "\n") and text[i + 1 : i + 2].isalnum():
        return "”"  # a paragraph opened with the closing mark by mistake: '”Mr. Trump embodies ...”'
    for mark in _OPEN_ORDER:
        if text.startswith(mark, i):
            if mark == "»" and not _looks_like_open(text, i):
                return None
            if mark == "''" and i > 0 and text[i - 1].isalnum() and i + 2 < len(text) and not text[i + 2].isalnum():
                return None  # a closing '' with nothing open (or a plural possessive): not an opener
            return mark
    return None


def find_quoted(text: str, single: bool = False) -> list[tuple[int, int]]:
    """Character spans of quoted content, quote marks excluded, trailing commas trimmed (single: also
    ‘…’ and '…', as headlines quote)."""
    if single:
        return sorted(find_quoted(text) + _single_quoted(text))
    spans: list[tuple[int, int]] = []
    start: int | None = None
    opener = ""
    n = len(text)
    i = _next(text, 0)
    while i < n:
        ch = text[i]
        if start is not None and ch == "\n":
            j = i
            while j < n and text[j].isspace():
                j += 1
            nxt = _opener_at(text, j) if j < n else None
            if nxt is not None and nxt == opener and opener != '"':
                i = _next(text, j + len(nxt))  # the quote goes on in the next paragraph
                continue
            spans.append((start, i))  # never closed: ends with its paragraph
            start = None
            i = _next(text, i + 1)
            continue
        if start is not None:
            closer = next((c for c in OPENERS[opener] if text.startswith(c, i)), None)
            if closer == '"' and opener == '"' and _opens_word(text, i) and _closes_sentence(text, start, i):
                # 'The sign said "no entry. "We will open soon," he said.': a straight mark before a word,
                # after a finished sentence, opens the next quote; the one before was never closed
                spans.append((start, i))
                start = i + 1
                i = _next(text, i + 1)
                continue
            if closer is not None:
                spans.append((start, i))
                start = None
                i = _next(text, i + len(closer))
                continue
            i = _next(text, i + 1)
            continue
        mark = _opener_at(text, i)
        if mark is not None:
            start, opener = i + len(mark), mark
            i = _next(text, i + len(mark))
            continue
        i = _next(text, i + 1)
    if start is not None:
        spans.append((start, n))
    out = []
    for s, e in spans:
        while s < e and text[s] in _TRIM_START:
            s += 1
        while e > s and text[e - 1] in _TRIM_END:
            e -= 1
        if e > s and re.search(r"\w", text[s:e]):
            out.append((s, e))
    return out


_SINGLE = re.compile(r"(?<![\w’'])([‘'])(?=\w)(.+?)(?<=[\w.!?,])([’'])(?!\w)")


def _single_quoted(text: str) -> list[tuple[int, int]]:
    """‘…’ / '…' pairs on one line outside double quote marks: an opener before a word, a closer after one."""
    doubles = find_quoted(text)
    out = []
    for m in _SINGLE.finditer(text):
        s, e = m.start(2), m.end(2)
        if "\n" in text[s:e] or any(ds - 1 <= m.start() < de + 1 for ds, de in doubles):
            continue
        while e > s and text[e - 1] in _TRIM_END:
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def _opens_word(text: str, i: int) -> bool:
    """A mark with a space before it and a word right after it: how a quote opens, not how one closes."""
    return i > 0 and text[i - 1] in " \t" and i + 1 < len(text) and text[i + 1].isalnum()


def _closes_sentence(text: str, start: int, i: int) -> bool:
    """Whether the quoted text before position i ends a sentence of its own ('no entry. ')."""
    before = text[start:i].rstrip()
    return len(before.split()) >= 1 and before.endswith((".", "!", "?"))


def _next(text: str, i: int) -> int:
    """Index of the next quote mark or line break at or after i (len(text) if none)."""
    found = _INTERESTING.search(text, i)
    return found.start() if found else len(text)


def _looks_like_open(text: str, i: int) -> bool:
    """» opens a quote only in the Danish/German style »…«, i.e. when a « closes it later on the line."""
    end = text.find("\n", i)
    return "«" in text[i + 1 : end if end >= 0 else len(text)]


def quoted_mask(text: str, spans: list[tuple[int, int]]) -> bytearray:
    mask = bytearray(len(text))
    for s, e in spans:
        mask[s:e] = b"\x01" * (e - s)
    return mask
