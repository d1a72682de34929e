"""Clean article text: mojibake, Unicode, control characters, scraped noise, repeated paragraphs.

Paragraphs are the unit: the output joins kept paragraphs with a blank line, so the cleaned
text stays readable and paragraph boundaries (a signal for quote attribution) survive.

Noise is recognised line by line with anchored patterns grouped by category (a line must be
nothing but the pattern, so a sentence that merely mentions "share" or "comments" stays), plus
one structural rule: a "Related" / "Don't miss" / "Tags" header takes the run of headline-like
link lines under it along. Bylines and datelines become metadata, not body.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import ftfy

_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b\u200e\u200f\u2028\u2029\u2060\ufeff\ufffe\uffff]"
)
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_FTFY = ftfy.TextFixerConfig(uncurl_quotes=False, normalization="NFC", explain=False)  # built once, not per call
# Printable ASCII without "&": no mojibake, entity, control character or odd line break for ftfy to fix.
_FTFY_NOTHING_TO_FIX = re.compile(r"[\t\n\x20-\x25\x27-\x7e\u2013\u2014\u2018\u2019\u201c\u201d\u2026]*")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
# The runs _SPACES.sub(" ", ...) would change: two or more spaces, or one that is not a plain space.
# Leaving single plain spaces unmatched gives the same result at a third of the cost.
_ODD_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]{2,}|[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]")
# str.replace per mark: several times faster than str.translate with a table over a whole article.
_QUOTE_NORM = (("‘", "'"), ("’", "'"), ("‚", "'"), ("‛", "'"), ("“", '"'), ("”", '"'), ("„", '"'), ("«", '"'),
               ("»", '"'))

_SOCIAL = r"(facebook|twitter|x|instagram|linkedin|whatsapp|reddit|pinterest|telegram|youtube|tiktok|flipboard|e-?mail)"
_RELATED_HEAD = (
    r"(read more|read next|read also|also read|more reading|related( articles?| stories| posts?| coverage| content"
    r"| links| news| reading| videos?)?|see (also|more)|more (from|on|about|stories|news|in) [\w .'’-]{1,40}|more"
    r"|you (may|might) also (like|enjoy|be interested in)|recommended( for you| reading| stories)?"
    r"|don'?t miss|most (read|popular|viewed|shared)|trending( now| stories)?|popular (now|stories)"
    r"|top stories|latest (news|stories)|what to read next|up next|watch next|editor'?s picks)"
)
_DATEISH = (
    r"((jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}"
    r"|\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}|\d+ (min(ute)?s?|hours?|days?) ago)"
)
_TAG_HEAD = r"(tags?|topics?|filed under|categories|category|keywords|posted in)"

# Whole lines that are page furniture, not article text, by category. Matched case-insensitively
# against the whole line (after whitespace normalisation), with optional trailing "." "!" "…".
NOISE_PATTERNS: dict[str, list[str]] = {
    "counter": [
        r"\d{1,7}",
        r"[\d.,]+\s*[km]?\s*(comments?|shares?|likes?|views?|reactions?|replies|responses|reads)",
        r"(comments?|shares?|likes?|views?|replies)\s*[:(]?\s*[\d.,]+\s*k?\)?",
    ],
    "comments": [
        r"leave a (reply|comment)( cancel reply)?",
        r"(post a |add a |add your |view |show |hide |load more |read |see |\d+ )?comments?( \(\d+\))?",
        r"(join|start) the (conversation|discussion)",
        r"(tell|let) us what you think.{0,60}",
        r"(what do you think|have your say)\??.{0,60}",
        r"comments are (closed|moderated).{0,120}",
        r"you must be logged in to post a comment.{0,40}",
        r"be the first to comment.{0,20}",
    ],
    "share": [
        rf"(share|tweet|pin|print|email|copy link|save|{_SOCIAL})( (this|the) (article|story|post|page))?"
        rf"( on {_SOCIAL})?",
        r"share (this|on|via)\b.{0,60}",
        r"(like|liked|enjoy|enjoyed) (this|the) (story|article|post)\?.{0,80}",
        r"click to (tweet|share).{0,40}",
        rf"(share|follow)( us)?( on)?( {_SOCIAL}[,/|]?)+",
    ],
    "advert": [
        r"advertisements?|advertising|sponsored( content| post)?|ads?|promoted( content)?|paid (content|post)",
        r"(story|article) continues below( advertisement)?|continue reading below|scroll (down )?to continue.{0,40}",
        r"\(?adsbygoogle.{0,120}",
        r"(this (article|post|page) (contains|may contain) affiliate links|we may earn a commission).{0,200}",
    ],
    "newsletter": [
        r"(subscribe|sign up|register)( now| today| here)?( to| for)? (our|the|my) .{0,60}(newsletters?|updates|alerts"
        r"|e-?mail (list|updates|alerts)|digest|briefing).{0,80}",
        r"(get|join) (our|the) .{0,40}newsletters?.{0,80}",
        r"[\w' ]{0,40}newsletters?",
        r"(enter|type) your e-?mail( address)?.{0,40}|your e-?mail( address)?( here)?",
        r"(subscribe|sign up|log ?in|register)( now| today| here)?",
        r"(already|not) a (subscriber|member)\?.{0,80}",
        r"if you (enjoyed|liked|value|appreciate) (this|our) (article|story|journalism|reporting|work).{0,500}",
        r"(support|become a (member|subscriber) of|donate to) (our|independent) (journalism|newsroom|work).{0,200}",
    ],
    "cookie": [
        r"(we|this (site|website)) uses? cookies.{0,400}",
        r"(accept|reject|manage|allow) (all )?cookies.{0,60}",
        r"by (continuing|using) (to (use|browse) )?(this|our) (site|website).{0,200}",
    ],
    "credit": [
        r"\(?(photo|image|picture|video|file photo|illustration|graphic)s?\s*(credit|courtesy)?\s*[:/|]\s*.{0,120}\)?",
        r"\(?(credit|source|courtesy|photograph|photography)s?\s*:\s*.{0,80}\)?",
        r".{0,100}/\s*(reuters|ap|afp|getty images?|epa|shutterstock|ap photo|istock(photo)?|bloomberg|alamy)\)?",
        r"\(?(photo|image|picture)s? (by|courtesy of|via) .{0,80}\)?",
        r"all rights reserved.{0,120}|©.{0,160}|\(c\) ?\d{4}.{0,120}|copyright ©?.{0,160}",
        r"this (copy|article|material|content) is for your personal,? non-?commercial use only.{0,300}",
        r"(order|buy) (reprints|a reprint)|reprints?( (and|&) permissions)?|print (this )?(article|story|page)",
        r"\(?(reporting|writing|editing|additional reporting|compiled|research) by [^.]{0,200}\)?",
        r"[\w .,'’-]{2,80} contributed (to this|reporting|additional reporting).{0,80}",
    ],
    "related": [
        rf"\[?{_RELATED_HEAD}\s*[:»>|–—-]\s*.{{0,200}}",
        rf"{_RELATED_HEAD}\s*(\.\.\.|…|:|»|>)?",
        r"\[?also on [\w.-]+\.\w{2,}\b.{0,200}",
        r"(click|tap) here\b.{0,100}",
        r"[\w '’.&-]{1,40}:\s*(https?://|www\.)\S+( and (https?://|www\.)\S+)?",
        r"(continue reading|read the (full|whole|rest of the) (story|article)|read full (story|article)).{0,60}",
    ],
    "social": [
        rf"follow (us|me|him|her|them|[\w@.'’ ]{{1,40}}) on {_SOCIAL}.{{0,300}}",
        r"follow [^.]{0,120}(https?://|www\.|@\w+).{0,120}",
        r"@\w{1,30}|(https?://)?(www\.)?(twitter|x|instagram|facebook)\.com/\w+/?",
        r"((write|contact|e-?mail|reach) (to )?[\w .'’-]{1,60} (at|on|via) )?[\w.+-]+@[\w-]+\.[\w.-]+",
    ],
    "navigation": [
        r"an error (has )?occurred.{0,60}|skip to (main )?content|back to top"
        r"|next (article|story|post)|previous (article|story|post)"
        r"|jump to comments|go to (top|comments)|(show|hide) (caption|transcript)|expand|close|menu|search",
        r"(\d+|one|two|three|four|five) (min(ute)?s?)( read|\.? read time)|reading time:?.{0,20}"
        r"|(tempo|tiempo) de (leitura|lectura):?.{0,20}|lesezeit:?.{0,20}",
        rf"{_TAG_HEAD}\s*:\s*.{{0,300}}",
        rf"{_TAG_HEAD}",
        rf"\(?(updated|published|posted|last updated|first published)( on| at)?:?\s*[^.]{{0,30}}?{_DATEISH}"
        r"[^!?]{0,40}",
    ],
}
_NOISE_BY_CATEGORY = {
    cat: re.compile(r"^\s*(?:" + "|".join(pats) + r")\s*[.!…]*[)\]|]?[.!…]*\s*$", re.I)
    for cat, pats in NOISE_PATTERNS.items()
}
_HEADERS = re.compile(rf"^\s*\[?(?:{_RELATED_HEAD}|{_TAG_HEAD})\s*(\.\.\.|…|:|»|>)?\s*\]?\s*$", re.I)
_TIME = re.compile(r"\b\d{1,2}[:h]\d{2}\b")
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
# CMS shortcodes left in scraped text: a closing tag ("[/caption]"), a tag with attributes ('[gallery ids="1,2"]'),
# or a bare tag of a known shortcode name. Not any bracketed word: editors' insertions inside quotes ("my list
# [or] on top of it", "[sic]") are part of what the article says.
_SHORTCODE_NAMES = ("caption|embed|gallery|video|audio|playlist|youtube|vimeo|tweet|twitter|instagram|facebook"
                    "|soundcloud|iframe|ad|ads|advert|advertisement|related|pullquote|image|img|photo|slideshow"
                    "|newsletter|subscribe|poll|infobox|toc|more")
_SHORTCODE = re.compile(rf"\[/[a-z_]+\]|\[[a-z_]+(?:\s+[a-z_-]+=\S+)+\]|\[(?:{_SHORTCODE_NAMES})\]")
_BULLET = re.compile(r"^\s*[-•*·▪►]\s+")
_LIST_ITEM = re.compile(r"^\s*[-•*·▪►]\s+.{1,160}$|^.{1,160}\[[A-Z ]{2,20}\]\W*$")
_INLINE_SHARE = re.compile(r"\s*(click to tweet|tweet this)\s*$", re.I)

MIN_REPEAT_CHARS = 40  # shorter repeated lines ("Q:", "Share") are never treated as relocated captions
MAX_BYLINE_CHARS = 160  # bylines are short; longer paragraphs are not tried against the name patterns
_NAME = r"[A-Z][\w'’.-]+(?:\s+(?:(?:van|von|de|da|del|der|le|la|bin|al)\s+)?[A-Z][\w'’.-]+){0,3}"
_NAMES = rf"{_NAME}(?:\s*(?:,|\band\b|&)\s*{_NAME})*"
BYLINE = re.compile(
    rf"^\s*(?i:(?:written|posted|reported|story|words|text)\s+)?(?:by|BY|By)\s+({_NAMES})"
    r"(?:\s*[|•·–—]\s*[^.!?]{0,80}|\s+(?i:on|for|in|at)\s+[^.!?]{0,60})?\s*$"
)
_ROLE = re.compile(r"^(?:[\w.'’-]+ )*(?:writer|reporter|correspondent|editor|columnist|staff|contributor"
                   r"|journalist)s?$", re.I)  # "Staff Writer", "Associated Press Writer": a byline's job title
_NAME_LINE = re.compile(rf"^\s*({_NAMES})\s*[|•·,–—-]\s*(?i:staff writer|reporter|correspondent|editor)\b.{{0,60}}$")
DATELINE = re.compile(
    r"^((?:[A-Z][A-Z.'’-]+\s?){1,4}(?:,\s+[A-Z][\w.]+(?:\s[A-Z][\w.]+)?)?)"
    r"(?:\s*\((?:AP|Reuters|AFP|Bloomberg|CNN|UPI|dpa|Xinhua|[A-Z][\w ]{1,20})\))?"
    r"\s*[—–-]{1,2}\s+(?=\S)"
)


@dataclass
class Cleaned:
    """Cleaned body plus what cleaning learned about the article on the way."""

    text: str
    authors: list[str] = field(default_factory=list)
    dateline: str | None = None
    removed: list[tuple[str, str]] = field(default_factory=list)  # (category, paragraph)


def fix_text_fast(text: str, config: ftfy.TextFixerConfig = _FTFY) -> str:
    """ftfy.fix_text, segment by segment as ftfy goes, but segments ftfy would leave as they are are not
    sent through its dozen fixers: about 80% of news lines are plain ASCII, and ftfy was the costliest
    step of cleaning."""
    if _FTFY_NOTHING_TO_FIX.fullmatch(text):
        return text
    out, pos = [], 0
    while pos < len(text):
        end = min(text.find("\n", pos) + 1 or len(text), pos + config.max_decode_length)
        segment = text[pos:end]
        if config.unescape_html == "auto" and "<" in segment:  # as ftfy.fix_text: HTML seen, stop unescaping
            config = config._replace(unescape_html=False)
        out.append(segment if _FTFY_NOTHING_TO_FIX.fullmatch(segment) else ftfy.fix_and_explain(segment, config).text)
        pos = end
    return "".join(out)


def normalise_unicode(text: str) -> str:
    """Fix mojibake (keeping curly quotes: they are quote-extraction signal), NFC, drop controls."""
    text = _SURROGATE.sub("", text)
    text = fix_text_fast(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    return unicodedata.normalize("NFC", text)


def paragraph_key(paragraph: str) -> str:
    """Comparison key for repeated paragraphs: quote marks and whitespace normalised, case folded."""
    if not paragraph.isascii():
        for mark, plain in _QUOTE_NORM:
            if mark in paragraph:
                paragraph = paragraph.replace(mark, plain)
    return _ODD_SPACES.sub(" ", paragraph).strip().casefold()


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs from blank-line separated blocks; a block of short lines is one paragraph per line,
    a block of hard-wrapped lines (long, not ending a sentence) is joined back into one paragraph."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [_ODD_SPACES.sub(" ", ln).strip() for ln in block.split("\n")]
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


def noise_category(paragraph: str) -> str | None:
    """The noise category a whole line belongs to ('share', 'credit', ...), or None for article text."""
    if len(paragraph) > 600:
        return None
    paragraph = _BULLET.sub("", paragraph)  # "- Print Article": a list item is judged by its text
    for category, pattern in _NOISE_BY_CATEGORY.items():
        if pattern.match(paragraph):
            return category
    if _is_timestamp(paragraph):
        return "timestamp"
    return None


def is_noise(paragraph: str) -> bool:
    return noise_category(paragraph) is not None


def _is_timestamp(line: str) -> bool:
    """A short line carrying a clock time and a year and no sentence: a publication stamp."""
    return (
        len(line) <= 80
        and len(line.split()) <= 10
        and not line.rstrip().endswith((".", "?", "!", "”", '"'))
        and bool(_TIME.search(line))
        and bool(_YEAR.search(line))
    )


def _is_link_line(line: str) -> bool:
    """Headline-like: a related-story link or a tag list, not a sentence of the article."""
    if len(line) > 160:
        return bool(line.count(",") >= 4 and max(len(part.split()) for part in line.split(",")) <= 5)
    stripped = line.rstrip(" |")
    return not stripped.endswith((".", "?", "!", ":", ";", "”", '"', "’")) or stripped.endswith("]")


def _authors(names: str) -> list[str]:
    """Names of a byline; a job title after a comma ("By Tom Hale, Staff Writer") is not a name."""
    return [a.strip() for a in re.split(r",|\band\b|&", names) if a.strip() and not _ROLE.match(a.strip())]


def clean_text(text: str, title: str | None = None) -> Cleaned:
    """The cleaned body of an article: noise lines out, byline/dateline to metadata, repeats kept once."""
    text = normalise_unicode(_SHORTCODE.sub("", text))
    paragraphs = [_INLINE_SHARE.sub("", p) for p in split_paragraphs(text)]
    result = Cleaned(text="")
    kept: list[str] = []
    title_key = paragraph_key(title) if title else None
    link_list: str | None = None  # "header": under a Related/Tags header; "items": after a "Related: ..." line
    for i, para in enumerate(paragraphs):
        if not para:
            continue
        if _HEADERS.match(para):
            result.removed.append(("related", para))
            link_list = "header"
            continue
        if (link_list == "header" and _is_link_line(para)) or (link_list == "items" and _LIST_ITEM.match(para)):
            result.removed.append(("related", para))
            continue
        link_list = None
        category = noise_category(para)
        if category:
            result.removed.append((category, para))
            link_list = "items" if category == "related" else None
            continue
        byline = (BYLINE.match(para) or _NAME_LINE.match(para)) if len(para) <= MAX_BYLINE_CHARS else None
        if byline and (i < 8 or not kept):
            result.authors.extend(a for a in _authors(byline.group(1)) if a not in result.authors)
            result.removed.append(("byline", para))
            continue
        # a key is never shorter than its paragraph (spaces are already single), so most skip the key
        if title_key and len(para) <= len(title_key) and paragraph_key(para) == title_key:
            result.removed.append(("title", para))
            continue
        if not kept and result.dateline is None:
            dateline = DATELINE.match(para[:MAX_BYLINE_CHARS])
            if dateline:
                result.dateline = dateline.group(1).strip().rstrip(",")
                para = para[dateline.end() :]
        kept.append(para)
    result.text = "\n\n".join(drop_repeated_paragraphs(kept, result.removed))
    return result




def drop_repeated_paragraphs(paragraphs: list[str], removed: list[tuple[str, str]] | None = None) -> list[str]:
    """Keep a relocated caption or standfirst once: its *later* occurrence, the one in the flow of
    the story, which is what quote attribution needs.

    Only a paragraph seen exactly twice, with different neighbours each time, counts as relocated.
    Paragraphs repeated three times or more, or repeated together with a neighbour, are structure
    (interview questions, recipe steps, meal plans) and all stay.
    """
    keys = [paragraph_key(p) for p in paragraphs]
    seen: dict[str, list[int]] = {}
    for i, (key, para) in enumerate(zip(keys, paragraphs, strict=True)):
        if len(para) >= MIN_REPEAT_CHARS:
            seen.setdefault(key, []).append(i)

    def key_at(i: int) -> str | None:
        return keys[i] if 0 <= i < len(keys) else None

    drop: set[int] = set()
    for positions in seen.values():
        if len(positions) != 2:
            continue
        first, later = positions
        same_before = key_at(first - 1) is not None and key_at(first - 1) == key_at(later - 1)
        same_after = key_at(later + 1) is not None and key_at(first + 1) == key_at(later + 1)
        if not (same_before or same_after):
            drop.add(first)
    if removed is not None:
        removed.extend(("repeat", paragraphs[i]) for i in sorted(drop))
    return [p for i, p in enumerate(paragraphs) if i not in drop]
