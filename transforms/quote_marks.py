"""Find quoted passages by their quote marks, across every common style.

Curly “…”, straight "…", guillemets «…» / »…«, German „…“. A quote may run over several
paragraphs: by convention each paragraph re-opens the quote and only the last one closes it.
"""

from __future__ import annotations

import re

OPENERS = {"“": "”", "«": "»", "„": "“”", '"': '"', "»": "«"}
CONTINUE = tuple(OPENERS) + ("‘",)
_TRIM_END = " \t\n,;:"


def find_quoted(text: str) -> list[tuple[int, int]]:
    """Character spans of quoted content, quote marks excluded, trailing commas trimmed."""
    spans: list[tuple[int, int]] = []
    start: int | None = None
    closers = ""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n" and start is not None:
            j = i
            while j < n and text[j].isspace():
                j += 1
            if j < n and text[j] in OPENERS and closers and text[j] != closers[0]:
                i = j + 1  # the quote goes on in the next paragraph
                continue
            spans.append((start, i))  # never closed: ends with its paragraph
            start = None
        elif start is not None and ch in closers:
            spans.append((start, i))
            start = None
        elif ch in OPENERS and (ch != "»" or _looks_like_open(text, i)):
            if start is not None and ch == '"' and closers == '"':
                spans.append((start, i))
                start = None
            else:
                start, closers = i + 1, OPENERS[ch]
        i += 1
    if start is not None:
        spans.append((start, n))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1] in _TRIM_END:
            e -= 1
        if e > s and re.search(r"\w", text[s:e]):
            out.append((s, e))
    return out


def _looks_like_open(text: str, i: int) -> bool:
    """» opens a quote only in the Danish/German style »…«, i.e. when a « closes it later on the line."""
    end = text.find("\n", i)
    return "«" in text[i + 1 : end if end >= 0 else len(text)]


def quoted_mask(text: str, spans: list[tuple[int, int]]) -> bytearray:
    mask = bytearray(len(text))
    for s, e in spans:
        mask[s:e] = b"\x01" * (e - s)
    return mask
