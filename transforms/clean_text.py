"""Clean article text: mojibake, Unicode, control characters, scraped noise, repeated paragraphs.

Paragraphs are the unit: the output joins kept paragraphs with a blank line, so the cleaned
text stays readable and paragraph boundaries (a signal for quote attribution) survive.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import ftfy

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u200e\u200f\u2028\u2029\ufeff\ufffe\uffff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_QUOTE_NORM = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})

# Whole lines that are page furniture, not article text. Anchored: a line must be nothing but this.
_NOISE_LINES = [
    r"\d{1,7}",  # share / comment counters
    r"[\d.,]+\s*[kKmM]?\s*(comments?|shares?|likes?|views?|reactions?|replies|responses)",
    r"(comments?|shares?|likes?|views?)\s*[:(]?\s*[\d.,]+\s*[kK]?\)?",
    r"leave a (reply|comment)( cancel reply)?",
    r"(post a |add a |view |show |load more |\d+ )?comments?",
    r"(share|tweet|pin|email|print|whatsapp|facebook|twitter|linkedin|reddit|copy link)"
    r"( (this|the) (article|story|post|page))?( on \w+)?",
    r"share (this|on)\b.{0,40}",
    r"advertisement|sponsored( content)?|ad|story continues below( advertisement)?|scroll to continue.{0,40}",
    r"(subscribe|sign up)( now)?( to| for)? (our|the) .{0,40}(newsletter|updates|alerts).{0,60}",
    r"(get|join) (our|the) .{0,30}newsletter.{0,60}",
    r"(read more|related( articles?| stories| coverage)?|see also|more from \w+|recommended( for you)?)\s*[:»>|–-].{0,200}",
    r"(read more|related( articles?| stories)?|recommended( for you)?|most (read|popular)|trending( now)?)",
    r"(click|tap) here .{0,80}",
    r"follow us on .{0,80}",
    r"we use cookies.{0,300}",
    r"(accept|reject|manage) (all )?cookies.{0,60}",
    r"this (site|website) uses cookies.{0,300}",
    r"\(?(photo|image|picture|video|file photo|credit)s?\s*(credit)?\s*[:/]\s*.{0,100}\)?",
    r".{0,80}/\s*(reuters|ap|afp|getty images|epa|shutterstock|ap photo)\)?",
    r"(skip to (main )?content|back to top|next article|previous article|jump to comments)",
    r"all rights reserved.{0,100}|©.{0,120}|copyright ©?.{0,120}",
    r"(reporting|editing|additional reporting) by .{0,120}",
]
NOISE_LINE = re.compile(r"^\s*(?:" + "|".join(_NOISE_LINES) + r")\s*[.!]?\s*$")
_NAME = r"[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3}"
BYLINE = re.compile(rf"^\s*(?:By|BY|by)\s+({_NAME}(?:\s*(?:,|\band\b|&)\s*{_NAME})*)\s*$")
DATELINE = re.compile(r"^((?:[A-Z][A-Z.'’-]+\s?){1,4}(?:,\s+[A-Z][\w.]+(?:\s[A-Z][\w.]+)?)?)\s+[—–-]{1,2}\s+(?=\S)")


@dataclass
class Cleaned:
    """Cleaned body plus what cleaning learned about the article on the way."""

    text: str
    authors: list[str] = field(default_factory=list)
    dateline: str | None = None
    removed: list[str] = field(default_factory=list)


def normalise_unicode(text: str) -> str:
    """Fix mojibake (keeping curly quotes: they are quote-extraction signal), NFC, drop controls."""
    text = _SURROGATE.sub("", text)
    text = ftfy.fix_text(text, uncurl_quotes=False, normalization="NFC")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    return unicodedata.normalize("NFC", text)


def paragraph_key(paragraph: str) -> str:
    """Comparison key for repeated paragraphs: quote marks and whitespace normalised, case folded."""
    return _SPACES.sub(" ", paragraph.translate(_QUOTE_NORM)).strip().casefold()


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs from blank-line separated blocks; a block of short lines is one paragraph per line,
    a block of hard-wrapped lines (long, not ending a sentence) is joined back into one paragraph."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [_SPACES.sub(" ", ln).strip() for ln in block.split("\n")]
        lines = [ln for ln in lines if ln]
        if not lines:
            continue
        wrapped = len(lines) > 1 and all(
            len(ln) >= 40 and not ln.endswith((".", "!", "?", ":", "”", '"')) for ln in lines[:-1]
        )
        if wrapped:
            out.append(" ".join(lines))
        else:
            out.extend(lines)
    return out


def is_noise(paragraph: str) -> bool:
    return bool(NOISE_LINE.match(paragraph))


def clean_text(text: str, title: str | None = None) -> Cleaned:
    """The cleaned body of an article: noise lines out, byline/dateline to metadata, repeats kept once."""
    text = normalise_unicode(text)
    paragraphs = split_paragraphs(text)
    result = Cleaned(text="")
    kept: list[str] = []
    title_key = paragraph_key(title) if title else None
    for i, para in enumerate(paragraphs):
        if is_noise(para):
            result.removed.append(para)
            continue
        byline = BYLINE.match(para)
        if byline and i < 6:
            result.authors.extend(a.strip() for a in re.split(r",|\band\b|&", byline.group(1)) if a.strip())
            result.removed.append(para)
            continue
        if title_key and paragraph_key(para) == title_key:
            result.removed.append(para)
            continue
        if not kept and result.dateline is None:
            dateline = DATELINE.match(para)
            if dateline:
                result.dateline = dateline.group(1).strip().rstrip(",")
                para = para[dateline.end() :]
        kept.append(para)
    result.text = "\n\n".join(drop_repeated_paragraphs(kept, result.removed))
    return result


def drop_repeated_paragraphs(paragraphs: list[str], removed: list[str] | None = None) -> list[str]:
    """Keep each paragraph once. A caption or standfirst repeated in the body keeps its *later*
    occurrence, the one in the flow of the story, which is what quote attribution needs."""
    last_index: dict[str, int] = {}
    for i, para in enumerate(paragraphs):
        if len(para) >= 30:
            last_index[paragraph_key(para)] = i
    out = []
    for i, para in enumerate(paragraphs):
        if len(para) >= 30 and last_index[paragraph_key(para)] != i:
            if removed is not None:
                removed.append(para)
            continue
        out.append(para)
    return out
