"""Generated test corpora: many small articles, duplicates, bad inputs and hostile inputs.

Everything is written by the tests themselves, so they run on a fresh clone.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

PEOPLE = ["Ana Ruiz", "Tom Becker", "Li Wei", "Sara Nilsson", "Omar Haddad", "Grace Mensah", "Ivan Petrov"]
PLACES = ["Lisbon", "Ottawa", "Nairobi", "Osaka", "Tallinn", "Quito", "Perth"]
TOPICS = ["the new budget", "the harbour project", "the school reform", "rail fares", "the water supply"]


def article_text(i: int, rng: random.Random) -> str:
    person, place, topic = rng.choice(PEOPLE), rng.choice(PLACES), rng.choice(TOPICS)
    surname = person.split()[-1]
    return (f"{person}, the mayor of {place}, defended {topic} on Monday in front of the council.\n\n"
            f"“We cannot wait another year for this,” {surname} said, adding that case {i} proved it.\n\n"
            f"Critics said the plan for {place} was rushed. {surname} denied that the vote was political.")


def good_article(i: int, rng: random.Random) -> dict:
    return {"id": f"art-{i}", "title": f"Story {i}", "text": article_text(i, rng),
            "published_at": f"2026-11-{i % 5 + 10:02d}T12:00:00Z", "source": "Test Wire"}


BAD_JSON_LINES = [
    b"{not json at all",
    b'{"title": "no body"}',
    b'{"text": "   "}',
    b'{"text": 17}',
    b'{"text": "x", "authors": {"a": 1}}',
    b'{"text": "x", "published_at": "not a date"}',
    b"[1, 2, 3]",
    b"\xff\xfe\xfa not utf-8",
    b'{"text": "nul \\u0000 inside", "title": null}',
]


@dataclass
class Corpus:
    """Where the corpus is and what a correct run must report for it."""

    folder: Path
    inputs: int = 0
    articles: int = 0
    errors: int = 0
    duplicates: int = 0
    files: list[Path] = field(default_factory=list)


def mixed_corpus(folder: Path, n_good: int = 800, n_dup: int = 100, seed: int = 11) -> Corpus:
    """n_good articles, n_dup exact duplicates and len(BAD_JSON_LINES) * k bad lines in JSONL files."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    corpus = Corpus(folder)
    goods = [good_article(i, rng) for i in range(n_good)]
    lines: list[bytes] = [json.dumps(a).encode() for a in goods]
    lines += [json.dumps(goods[rng.randrange(n_good)]).encode() for _ in range(n_dup)]
    bad = BAD_JSON_LINES * 12
    lines += bad
    rng.shuffle(lines)
    for k in range(4):
        path = folder / f"mixed-{k}.jsonl" if k % 2 == 0 else folder / f"mixed-{k}.jsonl.gz"
        chunk = b"\n".join(lines[k::4]) + b"\n"
        path.write_bytes(gzip.compress(chunk) if path.suffix == ".gz" else chunk)
        corpus.files.append(path)
    # A NUL escape inside a JSON string is valid text: the first copy is an article, the others duplicates.
    nul = sum(1 for b in bad if b"u0000" in b)
    corpus.inputs = len(lines)
    corpus.duplicates = n_dup + max(nul - 1, 0)
    corpus.errors = len(bad) - nul
    corpus.articles = n_good + min(nul, 1)
    return corpus


def hostile_corpus(folder: Path) -> dict[str, bytes]:
    """File name -> content of inputs built to break parsers; each must end as an article or an error."""
    folder.mkdir(parents=True, exist_ok=True)
    body = "<p>The council met on Monday and the mayor said the budget would pass next week.</p>"
    items = {
        "deep-nesting.html": ("<html><body>" + "<div>" * 100_000 + body + "</div>" * 100_000 + "</body></html>"),
        "huge-attribute.html": (f'<html><body><article><p data-x="{"A" * 3_000_000}">Big attribute.</p>'
                                f"{body * 5}</article></body></html>"),
        "xxe.html": ('<?xml version="1.0"?><!DOCTYPE html [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                     f"<html><body><article><p>Leak: &xxe;</p>{body * 5}</article></body></html>"),
        "xxe.json": json.dumps({"html": '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/hostname">]>'
                                        f"<html><body><p>&e;</p>{body * 5}</body></html>"}),
        "one-long-line.txt": "A title\n" + ("word " * 210_000),
        "one-long-line.json": json.dumps({"text": "x" * 1_000_000}),
        "deep.json": "[" * 50_000 + "]" * 50_000,
        "deep-object.json": '{"text": "t", "a": ' + '{"b": ' * 5_000 + "1" + "}" * 5_000 + "}",
        "wrong-types.json": json.dumps({"text": "ok text here", "title": ["a"], "id": 3.5}),
        "lone-surrogate.json": '{"text": "Broken \\ud800 pair in a sentence.", "title": "T \\udfff"}',
        "nul-bytes.txt": "Title\n\nBody\x00with NUL\x00bytes.",
        "mixed-encoding.txt": "Title é\n\nBody in UTF-8 é then Latin-1 \xe9.",
        "cp1252-declared.html": '<html><head><meta charset="windows-1252"></head><body><article><p>Caf\xe9 '
                                'society met on Monday and the mayor said the budget would pass. It was the '
                                'talk of the town.</p></article></body></html>',
    }
    encoded: dict[str, bytes] = {}
    for name, content in items.items():
        data = content.encode("latin-1") if name in ("mixed-encoding.txt", "cp1252-declared.html") else None
        if name == "mixed-encoding.txt":
            data = "Title é\n\nBody in UTF-8 é then Latin-1 ".encode() + b"\xe9."
        encoded[name] = data if data is not None else content.encode("utf-8", "surrogatepass")
    encoded["twenty-mb.txt"] = b"Title\n\n" + (b"Lorem ipsum dolor sit amet. " * 750_000)
    for name, data in encoded.items():
        (folder / name).write_bytes(data)
    return encoded
