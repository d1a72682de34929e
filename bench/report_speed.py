#!/usr/bin/env python3
"""How long the HTML report takes over the output of many articles, and how big the page is.

    python bench/report_speed.py --articles 10000          # synthetic output, then the report
    python bench/report_speed.py --tables OUT              # the report over real output

Synthetic output is written through pipeline.schemas the way the pipeline writes it: articles of
about 450 words over 30 days, with ~25 entities and ~4 quotations each (some in two fragments, some
thoughts, some in the title), speakers drawn from a long-tailed pool, a few percent of errors, one
run record. Then `python -m pipeline.report` runs as a user would run it (a new process: interpreter
start, imports, reading, rendering, writing), and the bench prints its wall time, the page's size and
whether both are under the targets (20 s, 10 MB).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyarrow.parquet as pq  # noqa: E402

from pipeline.schemas import TABLES, to_table  # noqa: E402

TARGET_SECONDS, TARGET_BYTES = 20.0, 10_000_000
WORDS = ("the council said budget would new city year people government minister report plan after more than "
         "which their been about over also last week first public school hospital water company workers police "
         "court local state energy price housing transport health project officials residents spokesperson "
         "election vote region data market bank climate study team season match").split()
FIRST = "Amina Mark Lena Raymond Erica Karim Josée Ingrid Simon Helen Joseph Noémie Anne Karl Corinne Ade".split()
LAST = ("Okafor Carney Fischer Okoye Tane Benali Bélanger Solheim Argyle Carrow Mwangi Rochat Roth Brenner "
        "Vallotton").split()
ORGS = ["Paylio", "Halvorsen Semiconductor", "World Health Organization", "Port Halden Council", "Example Labs",
        "Continental Rail", "Northwind Bank", "Valley Herald", "Lakeshore Electoral Board", "Rivermouth Water"]
PLACES = ["Nairobi", "Ottawa", "Lyon", "Kyiv", "Perth", "Quebec", "Valais", "Rotterdam", "Berlin", "Castleford"]
LABELS = [("PERSON", None), ("ORG", ORGS), ("GPE", PLACES), ("DATE", ["Tuesday", "last week", "2026", "March"]),
          ("CARDINAL", ["two", "38", "1.8 million", "600"]), ("NORP", ["Canadian", "Ukrainian", "Swiss"])]
STAGES = [("parse", "invalid JSON: Expecting value: line 1 column 1 (char 0)"),
          ("parse", "article has neither text nor html"),
          ("clean", "no text left after boilerplate removal"),
          ("language", "text too short to identify its language")]


class Text:
    """A text built piece by piece, telling where each piece landed."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0

    def add(self, piece: str) -> tuple[int, int]:
        self.parts.append(piece)
        self.length += len(piece)
        return self.length - len(piece), self.length


def people(n: int, rng: random.Random) -> list[str]:
    names = {f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(n * 3)}
    return sorted(names)[:n]


def synthesize(out: Path, n_articles: int, days: int = 30, seed: int = 7) -> dict[str, int]:
    """Write the four tables and a run record for n_articles under out; returns row counts."""
    rng = random.Random(seed)
    pool = people(200, rng)
    weights = [1 / (i + 1) for i in range(len(pool))]  # a few speakers are quoted a lot
    start = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    rows: dict[str, list[dict]] = {name: [] for name in TABLES}
    for i in range(n_articles):
        when = start + dt.timedelta(days=rng.randrange(days), minutes=rng.randrange(1440))
        day = when.date().isoformat()
        article_id = f"{i:016x}"
        body = Text()
        add = body.add
        ents, quotes = [], []

        for paragraph in range(rng.randint(8, 12)):
            if paragraph:
                add("\n\n")
            for _ in range(rng.randint(2, 3)):
                add(" ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 12))).capitalize() + " ")
                label, choices = rng.choice(LABELS)
                name = rng.choices(pool, weights)[0] if choices is None else rng.choice(choices)
                s, e = add(name)
                ents.append({"article_id": article_id, "text": name, "label": label, "start_char": s,
                             "end_char": e, "canonical": name, "dt": day})
                add(" " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9))) + ". ")
            if paragraph % 3 == 1:
                speaker = rng.choices(pool, weights)[0]
                attribution = f"{article_id}-{paragraph}"
                cue_type = "thought" if rng.random() < 0.1 else "speech"
                add("\u201c")
                frags = 2 if rng.random() < 0.3 else 1
                for f in range(frags):
                    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20)))
                    s, e = add(words)
                    quotes.append({"article_id": article_id, "text": words, "kind": "direct", "start_char": s,
                                   "end_char": e, "speaker": speaker.split()[-1], "speaker_canonical": speaker,
                                   "cue": "said", "attribution_id": attribution, "cue_type": cue_type,
                                   "in_title": False, "dt": day})
                    add(",\u201d said " + speaker + ". \u201c" if f + 1 < frags else ",\u201d said " + speaker + ". ")
        text = "".join(body.parts)
        rows["articles"].append({
            "article_id": article_id, "source_uri": f"gs://landing/{day}/{i}.json",
            "url": f"https://news.example/{day}/{i}",
            "title": " ".join(rng.choice(WORDS) for _ in range(9)).capitalize(),
            "text": text, "published_at": when, "ingested_at": when, "language": "en",
            "word_count": len(text.split()), "content_hash": article_id, "pipeline_version": "0.1.0",
            "model": "en_core_web_sm", "source": rng.choice(["Valley Herald", "Northwind Times", "Wire"]),
            "nlp_status": "ok", "duplicate_of": f"{i - 1:016x}" if i and rng.random() < 0.01 else None, "dt": day})
        rows["entities"].extend(ents)
        rows["quotes"].extend(quotes)
        if rng.random() < 0.03:
            stage, reason = rng.choice(STAGES)
            rows["errors"].append({"source_uri": f"gs://landing/{day}/bad-{i}.json", "stage": stage, "error": reason,
                                   "payload": b"{", "payload_bytes": 1, "payload_sha256": "0" * 64,
                                   "payload_truncated": False, "ingested_at": when, "dt": day})
    for name, table_rows in rows.items():
        by_day: dict[str, list[dict]] = defaultdict(list)
        for row in table_rows:
            by_day[row["dt"]].append(row)
        for day, day_rows in by_day.items():
            folder = out / name / f"dt={day}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(to_table(name, day_rows), folder / "part-bench-00000.parquet")
    counts = {"inputs": n_articles + len(rows["errors"]), "articles": n_articles, "errors": len(rows["errors"]),
              "duplicates": 0, "entities": len(rows["entities"]), "quotes": len(rows["quotes"])}
    (out / "_runs").mkdir(parents=True, exist_ok=True)
    record = {"run_id": "20261101T000000000000Z-bench", "run_key": "bench", "mode": "batch", "counts": counts,
              "files_written": sum(len(list((out / t).glob("*/*.parquet"))) for t in TABLES), "seconds": 0.0}
    (out / "_runs" / f"run-{record['run_id']}.json").write_text(json.dumps(record), encoding="utf-8")
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000, help="Synthetic articles to generate (default 10000).")
    parser.add_argument("--tables", default=None, help="Use this existing output root instead of synthetic output.")
    parser.add_argument("--html", default=None, help="Where to write the page (default: a temporary folder).")
    parser.add_argument("--keep", action="store_true", help="Keep the synthetic output and the page.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="report-bench-") as tmp:
        work = Path(tmp) if not args.keep else Path(tempfile.mkdtemp(prefix="report-bench-"))
        if args.tables:
            tables = args.tables
        else:
            started = time.perf_counter()
            counts = synthesize(work / "out", args.articles)
            tables = str(work / "out")
            size = sum(p.stat().st_size for p in (work / "out").rglob("*.parquet"))
            print(f"synthetic output: {counts['articles']:,} articles, {counts['entities']:,} entities, "
                  f"{counts['quotes']:,} quote fragments, {counts['errors']:,} errors; {size / 1e6:.1f} MB of "
                  f"Parquet in {time.perf_counter() - started:.1f} s ({tables})")
        html = args.html or str(work / "report.html")
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "pipeline.report", "--tables", tables, "--html", html],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode:
            print(done.stdout + done.stderr, file=sys.stderr)
            return done.returncode
        print(done.stdout.strip())
        size = os.path.getsize(html)
        print(f"report build: {seconds:.1f} s wall (whole process; target < {TARGET_SECONDS:.0f} s) "
              f"[{'OK' if seconds < TARGET_SECONDS else 'SLOW'}]")
        print(f"report size: {size:,} bytes = {size / 1e6:.2f} MB (target < {TARGET_BYTES / 1e6:.0f} MB) "
              f"[{'OK' if size < TARGET_BYTES else 'TOO BIG'}]")
        if args.keep:
            print(f"kept: {work}")
        return 0 if seconds < TARGET_SECONDS and size < TARGET_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
