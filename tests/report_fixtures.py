"""Output tables for the report tests, written through pipeline.schemas the way the pipeline writes them."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from pipeline.schemas import TABLES, to_table

UTC = dt.UTC
HOSTILE_SCRIPT = "<script>window.__pwned = 1</script>"
HOSTILE_IMG = '"><img src=x onerror="window.__pwned = 2">'


def write_tables(root: Path, rows: dict[str, list[dict[str, Any]]], run_key: str = "testrun",
                 drop: dict[str, list[str]] | None = None) -> None:
    """Rows (each with `dt`) as part files under root/<table>/dt=<day>/; `drop` leaves columns out of the
    files, as output written before those columns existed would."""
    for table, table_rows in rows.items():
        by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in table_rows:
            by_day[row["dt"]].append(row)
        for day, day_rows in by_day.items():
            folder = root / table / f"dt={day}"
            folder.mkdir(parents=True, exist_ok=True)
            data = to_table(table, day_rows)
            for column in (drop or {}).get(table, []):
                data = data.drop_columns([column])
            pq.write_table(data, folder / f"part-{run_key}-00000.parquet")
    for table in TABLES:
        (root / table).mkdir(parents=True, exist_ok=True)


def write_run(root: Path, run_id: str, run_key: str, counts: dict[str, int], **extra: Any) -> None:
    folder = root / "_runs"
    folder.mkdir(parents=True, exist_ok=True)
    record = {"run_id": run_id, "run_key": run_key, "mode": "batch", "counts": counts, "files_written": 4,
              "seconds": 1.5, **extra}
    (folder / f"run-{run_id}.json").write_text(json.dumps(record), encoding="utf-8")


def article(article_id: str, day: str, title: str, text: str, **extra: Any) -> dict[str, Any]:
    when = dt.datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)
    row = {"article_id": article_id, "source_uri": f"samples/{article_id}.txt", "url": f"https://news.example/{article_id}",
           "title": title, "text": text, "published_at": when, "ingested_at": when, "language": "en",
           "word_count": len(text.split()), "content_hash": "h" + article_id, "pipeline_version": "0.1.0",
           "model": "en_core_web_sm", "source": "Example News", "nlp_status": "ok", "dt": day}
    row.update(extra)
    return row


def span(text: str, needle: str, start_at: int = 0) -> tuple[int, int]:
    start = text.index(needle, start_at)
    return start, start + len(needle)


def entity(article_id: str, day: str, text: str, needle: str, label: str, canonical: str | None = None) -> dict:
    start, end = span(text, needle)
    return {"article_id": article_id, "text": needle, "label": label, "start_char": start, "end_char": end,
            "canonical": canonical or needle, "dt": day}


def quote(article_id: str, day: str, text: str, needle: str, speaker: str | None, canonical: str | None,
          **extra: Any) -> dict:
    start, end = span(text, needle)
    row = {"article_id": article_id, "text": needle, "kind": "direct", "start_char": start, "end_char": end,
           "speaker": speaker, "speaker_canonical": canonical, "cue": "said", "dt": day}
    row.update(extra)
    return row


KYIV_TEXT = ("Prime Minister Mark Carney said on Tuesday that Canada would back security guarantees.\n\n"
             "\u201cWe will stand with Ukraine for as long as it takes,\u201d Carney told reporters in Ottawa. "
             "Volodymyr Zelenskyy thanked him.\n\n"
             "\u201cThis is the help we asked for,\u201d the Ukrainian president said.")
HOSTILE_TEXT = (f"A reader wrote {HOSTILE_SCRIPT} in the comments and {HOSTILE_IMG} too.\n\n"
                f"\u201cNever trust {HOSTILE_SCRIPT} input,\u201d said Ada Lovelace of Example Labs.")


def sample_rows() -> dict[str, list[dict[str, Any]]]:
    """Two days, three articles (one hostile), entities, quotes (fragments, a thought, a title quote), errors."""
    d1, d2 = "2026-11-02", "2026-11-03"
    a1 = article("kyiv1", d1, "Canada backs guarantees: \u2018We will stand with Ukraine\u2019", KYIV_TEXT)
    a2 = article("hostile", d2, f"Hostile {HOSTILE_IMG} title", HOSTILE_TEXT,
                 url="javascript:alert(1)", source=f"Src {HOSTILE_SCRIPT}")
    a3 = article("french", d2, "Les d\u00e9put\u00e9s votent", "Les d\u00e9put\u00e9s ont vot\u00e9 le budget.",
                 language="fr", nlp_status="skipped: language 'fr' is not the model's 'en'")
    a4 = article("copy", d2, "Canada backs guarantees (wire copy)", KYIV_TEXT, duplicate_of="kyiv1")
    ents = [entity("kyiv1", d1, KYIV_TEXT, "Mark Carney", "PERSON"),
            entity("kyiv1", d1, KYIV_TEXT, "Canada", "GPE"),
            entity("kyiv1", d1, KYIV_TEXT, "Ukraine", "GPE"),  # inside the first quote
            entity("kyiv1", d1, KYIV_TEXT, "Carney", "PERSON", "Mark Carney"),
            entity("kyiv1", d1, KYIV_TEXT, "Ottawa", "GPE"),
            entity("kyiv1", d1, KYIV_TEXT, "Volodymyr Zelenskyy", "PERSON"),
            entity("kyiv1", d1, KYIV_TEXT, "Tuesday", "DATE"),
            entity("hostile", d2, HOSTILE_TEXT, "Ada Lovelace", "PERSON"),
            entity("hostile", d2, HOSTILE_TEXT, "Example Labs", "ORG"),
            entity("hostile", d2, HOSTILE_TEXT, HOSTILE_SCRIPT, f"LBL{HOSTILE_IMG}", HOSTILE_SCRIPT)]
    title = a1["title"]
    tstart, tend = span(title, "We will stand with Ukraine")
    quotes = [
        quote("kyiv1", d1, KYIV_TEXT, "We will stand with Ukraine for as long as it takes,", "Carney", "Mark Carney",
              attribution_id="q1", cue_type="speech", in_title=False),
        quote("kyiv1", d1, KYIV_TEXT, "This is the help we asked for,", "the Ukrainian president",
              "Volodymyr Zelenskyy", attribution_id="q2", cue_type="speech", in_title=False),
        {"article_id": "kyiv1", "text": "We will stand with Ukraine", "kind": "direct", "start_char": tstart,
         "end_char": tend, "speaker": "Carney", "speaker_canonical": "Mark Carney", "cue": None,
         "attribution_id": "q3", "cue_type": "speech", "in_title": True, "dt": d1},
        quote("kyiv1", d1, KYIV_TEXT, "Canada would back security guarantees", "Prime Minister Mark Carney",
              "Mark Carney", kind="indirect", attribution_id="q4", cue_type="thought", in_title=False),
        # two fragments of one quotation
        quote("hostile", d2, HOSTILE_TEXT, "Never trust", f"Ada {HOSTILE_IMG}", f"Ada {HOSTILE_SCRIPT}",
              attribution_id="q5", cue_type="speech", in_title=False),
        quote("hostile", d2, HOSTILE_TEXT, "input,", f"Ada {HOSTILE_IMG}", f"Ada {HOSTILE_SCRIPT}",
              attribution_id="q5", cue_type="speech", in_title=False),
    ]
    when = dt.datetime(2026, 11, 3, 10, tzinfo=UTC)
    errors = [
        {"source_uri": "samples/bad.json", "stage": "parse", "error": "invalid JSON: Expecting value: line 1",
         "payload": b"{oops", "payload_bytes": 5, "payload_sha256": "ab", "payload_truncated": False,
         "ingested_at": when, "dt": d2},
        {"source_uri": "samples/bad2.json", "stage": "parse", "error": "invalid JSON: Expecting value: line 1",
         "payload": b"{", "payload_bytes": 1, "payload_sha256": "cd", "payload_truncated": False,
         "ingested_at": when, "dt": d2},
        {"source_uri": f"samples/{HOSTILE_SCRIPT}.html", "stage": "clean", "error": f"no text left {HOSTILE_IMG}",
         "payload": b"<html>", "payload_bytes": 9_000_000, "payload_sha256": "ef", "payload_truncated": True,
         "ingested_at": when, "dt": d2},
    ]
    return {"articles": [a1, a2, a3, a4], "entities": ents, "quotes": quotes, "errors": errors}


def sample_output(root: Path) -> Path:
    write_tables(root, sample_rows())
    write_run(root, "20261203T100000000000Z-testrun", "testrun",
              {"inputs": 9, "articles": 4, "errors": 3, "duplicates": 2, "entities": 10, "quotes": 6})
    return root
