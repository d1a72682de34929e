"""`python -m pipeline report --tables OUT [--from DATE --to DATE] --html report.html`: one offline HTML page.

Reads the four tables (local or any filesystem Beam knows, e.g. gs://) through the schemas in
pipeline/schemas.py, so output written before a column existed reads with that column null, and
the run records under `_runs/`. Writes a single self-contained file: the page is rendered from the
Jinja2 template pipeline/templates/report.html.j2 with autoescaping on (every string that comes
from the data is escaped), its charts are static inline SVG, its only script is inline and allowed by
hash in the page's Content-Security-Policy, which also forbids loading anything (no CDN, no network).

What the page shows: run health (articles, errors by stage with example reasons, duplicates and
near-copies, languages skipped, each run record's reconcile line), top speakers with a bar chart and
their most recent quotes, quotes per day for the top speakers, the entities most mentioned per label,
and an article view (the most recent --articles articles, searchable, with entities and quotes marked
in the cleaned text).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import glob
import hashlib
import json
import os
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.schemas import PARTITION_COLUMN, TABLES

TEMPLATE = "report.html.j2"
SCRIPT = "report.js"
DEFAULT_ARTICLES = 300
TOP_SPEAKERS = 15
TIMELINE_SPEAKERS = 6
RECENT_QUOTES = 3
ENTITIES_PER_LABEL = 8
ERROR_EXAMPLES = 3
MAX_REASON_CHARS = 300
# Columns read per table (the payload bytes of errors are never needed here).
COLUMNS = {
    "articles": ["article_id", "url", "title", "text", "published_at", "ingested_at", "language", "word_count",
                 "source", "nlp_status", "duplicate_of"],
    "entities": ["article_id", "text", "label", "start_char", "end_char", "canonical"],
    "quotes": ["article_id", "text", "kind", "start_char", "end_char", "speaker", "speaker_canonical", "cue",
               "attribution_id", "cue_type", "in_title"],
    "errors": ["source_uri", "stage", "error", "payload_bytes", "payload_truncated", "ingested_at"],
}
# Labels whose names are numbers or dates: listed after the named ones.
NUMERIC_LABELS = {"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"}
# displaCy's colours, so the marks look familiar to spaCy users.
LABEL_COLOURS = {
    "ORG": "#7aecec", "PRODUCT": "#bfeeb7", "GPE": "#feca74", "LOC": "#ff9561", "PERSON": "#aa9cfc",
    "NORP": "#c887fb", "FAC": "#9cc9cc", "EVENT": "#ffeb80", "LAW": "#ff8197", "LANGUAGE": "#ff8197",
    "WORK_OF_ART": "#f0d0ff", "DATE": "#bfe1d9", "TIME": "#bfe1d9", "MONEY": "#e4e7d2", "QUANTITY": "#e4e7d2",
    "ORDINAL": "#e4e7d2", "CARDINAL": "#e4e7d2", "PERCENT": "#e4e7d2",
}
DEFAULT_LABEL_COLOUR = "#dddddd"
SERIES_COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7"]
SAFE_URL = re.compile(r"^https?://", re.IGNORECASE)


class ReportError(Exception):
    """A problem with the command's arguments or input that the user can fix (exit status 2)."""


def add_parser(sub) -> argparse.ArgumentParser:
    rep = sub.add_parser(
        "report", help="Write one self-contained HTML report (run health, speakers, quotes, entities, articles).",
        description="Read the output tables (local or gs://) and write one HTML file that opens offline: run "
                    "health, top speakers and their recent quotes, quotes over time, entities per label, and a "
                    "searchable article view with entities and quotes highlighted.")
    _add_arguments(rep)
    return rep


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tables", required=True, metavar="OUT",
                        help="Output root of a run: the folder holding articles/ entities/ quotes/ errors/ and _runs/.")
    parser.add_argument("--html", required=True, metavar="FILE", help="HTML file to write (local or gs://).")
    parser.add_argument("--from", dest="date_from", default=None, metavar="YYYY-MM-DD",
                        help="First dt= partition to include (default: the earliest).")
    parser.add_argument("--to", dest="date_to", default=None, metavar="YYYY-MM-DD",
                        help="Last dt= partition to include (default: the latest).")
    parser.add_argument("--articles", type=int, default=DEFAULT_ARTICLES, metavar="N",
                        help=f"How many articles the article view embeds with their text, the most recent first "
                             f"(default {DEFAULT_ARTICLES}; 0 embeds all, which makes a large file for a big range).")
    parser.add_argument("--title", default=None, help="Page title (default: 'News pipeline report').")


def run_report(args: argparse.Namespace) -> int:
    try:
        stats = build_report(args.tables, args.html, date_from=args.date_from, date_to=args.date_to,
                             max_articles=args.articles, title=args.title)
    except ReportError as exc:
        print(f"error: report: {exc}", file=sys.stderr)
        return 2
    print(f"report: {args.html} ({stats.articles} article(s), {stats.quotes} quote(s), {stats.errors} error(s), "
          f"{stats.embedded_articles} article text(s) embedded; {stats.size_bytes / 1e6:.2f} MB, "
          f"built in {stats.seconds:.1f} s)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline report", description=__doc__.splitlines()[0])
    _add_arguments(parser)
    return run_report(parser.parse_args(argv))


# ---------------------------------------------------------------------------------------------- reading


def _is_local(path: str) -> bool:
    return "://" not in path or path.startswith("file://")


def _local(path: str) -> str:
    return path[len("file://"):] if path.startswith("file://") else path


def _join(root: str, *parts: str) -> str:
    if _is_local(root):
        return os.path.join(_local(root), *parts)
    return "/".join([root.rstrip("/"), *parts])


def _pattern(root: str, *parts: str) -> str:
    """A glob under root: the root is a name, never a pattern (`out[1]` is a folder)."""
    if _is_local(root):
        return os.path.join(glob.escape(_local(root)), *parts)
    return "/".join([root.rstrip("/"), *parts])


def _match(pattern: str, local: bool) -> list[str]:
    if local:
        return sorted(glob.glob(pattern))
    from apache_beam.io.filesystems import FileSystems

    results = FileSystems.match([pattern])
    return sorted(m.path for m in results[0].metadata_list) if results else []


def _read_bytes(path: str, local: bool) -> bytes:
    if local:
        with open(path, "rb") as fh:
            return fh.read()
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.open(path) as fh:
        return fh.read()


def _partition_of_path(path: str) -> str | None:
    match = re.search(r"(?:^|/)" + PARTITION_COLUMN + r"=(\d{4}-\d{2}-\d{2})/[^/]+$", path)
    return match.group(1) if match else None


def _conform(table: pa.Table, schema: pa.Schema, columns: list[str]) -> pa.Table:
    """The requested columns in the schema's types; a column the file predates comes back as nulls."""
    arrays = []
    for name in columns:
        target = schema.field(name).type
        if name in table.column_names:
            column = table.column(name)
            arrays.append(column if column.type == target else column.cast(target))
        else:
            arrays.append(pa.nulls(table.num_rows, target))
    return pa.Table.from_arrays(arrays, schema=pa.schema([pa.field(n, schema.field(n).type) for n in columns]))


@dataclass
class Loaded:
    tables: dict[str, pa.Table]
    files: list[str]
    runs: list[dict[str, Any]]
    partitions: list[str]


def load(root: str, date_from: str | None, date_to: str | None, local: bool | None = None) -> Loaded:
    """The four tables restricted to dt in [date_from, date_to], each with a `dt` column, and the run records."""
    local = _is_local(root) if local is None else local
    base = _local(root) if local else root.rstrip("/")
    if local and not os.path.isdir(base):
        raise ReportError(f"--tables {root}: no such folder")
    tables: dict[str, pa.Table] = {}
    files: list[str] = []
    partitions: set[str] = set()
    for name, columns in COLUMNS.items():
        schema = TABLES[name]
        pieces = []
        for path in _match(_pattern(base, name, f"{PARTITION_COLUMN}=*", "*.parquet"), local):
            day = _partition_of_path(path.replace("\\", "/"))
            if day is None or (date_from and day < date_from) or (date_to and day > date_to):
                continue
            source = path if local else pa.BufferReader(_read_bytes(path, local))
            parquet = pq.ParquetFile(source)
            present = [c for c in columns if c in parquet.schema_arrow.names]
            piece = _conform(parquet.read(columns=present), schema, columns)
            pieces.append(piece.append_column(PARTITION_COLUMN, pa.array([day] * piece.num_rows, pa.string())))
            files.append(path)
            partitions.add(day)
        target = pa.schema([pa.field(c, schema.field(c).type) for c in columns] +
                           [pa.field(PARTITION_COLUMN, pa.string())])
        tables[name] = pa.concat_tables(pieces) if pieces else target.empty_table()
    if not files and not _match(_pattern(base, "*", f"{PARTITION_COLUMN}=*"), local) and not _runs_paths(base, local):
        raise ReportError(f"--tables {root}: no tables (articles/ entities/ quotes/ errors/) and no run records there")
    runs = [r for r in _read_runs(base, local) if _run_in_range(r, files, date_from, date_to)]
    return Loaded(tables=tables, files=files, runs=runs, partitions=sorted(partitions))


def _runs_paths(base: str, local: bool) -> list[str]:
    return _match(_pattern(base, "_runs", "run-*.json"), local)


def _read_runs(base: str, local: bool) -> list[dict[str, Any]]:
    runs = []
    for path in _runs_paths(base, local):
        try:
            record = json.loads(_read_bytes(path, local).decode("utf-8"))
        except (OSError, ValueError) as exc:
            record = {"run_id": os.path.basename(path), "unreadable": str(exc)}
        record["_path"] = path
        runs.append(record)
    return sorted(runs, key=lambda r: str(r.get("run_id", "")))


def _run_started(record: dict[str, Any]) -> str | None:
    """The run's start date (YYYY-MM-DD) from its id, which begins with the UTC start time."""
    match = re.match(r"(\d{4})(\d{2})(\d{2})T", str(record.get("run_id", "")))
    return f"{match.group(1)}-{match.group(2)}-{match.group(3)}" if match else None


def _run_in_range(record: dict[str, Any], files: list[str], date_from: str | None, date_to: str | None) -> bool:
    """A run belongs to the range when it wrote a file there (file names carry its run key or run id), it
    replaced a day there (backfill), or it started there. Without a range every record belongs."""
    if not date_from and not date_to:
        return True

    def inside(day: str | None) -> bool:
        return day is not None and (not date_from or day >= date_from) and (not date_to or day <= date_to)

    if inside(record.get("partition_date")) or inside(_run_started(record)):
        return True
    run_id, run_key = str(record.get("run_id", "")), record.get("run_key")
    names = [p.replace("\\", "/").rsplit("/", 1)[-1] for p in files]
    return any((run_id and run_id in n) or (run_key and n.startswith(f"part-{run_key}-")) for n in names)


# ---------------------------------------------------------------------------------------------- summarising


def _colour(label: str) -> str:
    return LABEL_COLOURS.get(label, DEFAULT_LABEL_COLOUR)


def _safe_url(url: str | None) -> str | None:
    """Only http(s) links become links: escaping alone would still let a javascript: URL run."""
    return url if url and SAFE_URL.match(url) else None


def _short(text: str | None, limit: int) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


@dataclass
class BarChart:
    """A horizontal bar chart in SVG user units (the template draws it)."""
    rows: list[dict[str, Any]]
    width: int = 640
    label_width: int = 190
    bar_height: int = 22
    gap: int = 6

    @property
    def height(self) -> int:
        return max(1, len(self.rows)) * (self.bar_height + self.gap) + self.gap


def bar_chart(items: Iterable[tuple[str, int]], colour: str | Sequence[str] = SERIES_COLOURS[0],
              width: int = 640, label_width: int = 190) -> BarChart:
    items = list(items)
    top = max((v for _, v in items), default=0) or 1
    room = width - label_width - 50
    rows = []
    for i, (label, value) in enumerate(items):
        rows.append({"label": _short(label, max(8, (label_width - 12) // 7)), "full": label, "value": value,
                     "y": 6 + i * 28, "w": max(1.0, room * value / top),
                     "colour": colour if isinstance(colour, str) else colour[i % len(colour)]})
    return BarChart(rows=rows, width=width, label_width=label_width)


def stacked_columns(days: list[str], series: list[tuple[str, dict[str, int]]], width: int = 720,
                    height: int = 260) -> dict[str, Any]:
    """Stacked columns per day (one colour per series), with y gridlines; geometry for the template."""
    left, right, top_pad, bottom = 40, 10, 10, 46
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    totals = [sum(s.get(day, 0) for _, s in series) for day in days]
    top = max(totals, default=0) or 1
    step = _nice_step(top)
    ymax = step * -(-top // step)
    slot = plot_w / max(1, len(days))
    bar_w = max(1.0, min(40.0, slot * 0.75))
    columns = []
    for i, day in enumerate(days):
        x = left + i * slot + (slot - bar_w) / 2
        y = top_pad + plot_h
        parts = []
        for k, (name, counts) in enumerate(series):
            value = counts.get(day, 0)
            if not value:
                continue
            h = plot_h * value / ymax
            y -= h
            parts.append({"y": y, "h": h, "colour": SERIES_COLOURS[k % len(SERIES_COLOURS)],
                          "tip": f"{name}, {day}: {value}"})
        columns.append({"x": x, "w": bar_w, "parts": parts, "day": day, "total": totals[i]})
    label_every = max(1, -(-len(days) // 12))
    ticks = [{"x": left + i * slot + slot / 2, "day": day} for i, day in enumerate(days) if i % label_every == 0]
    grid = [{"y": top_pad + plot_h - plot_h * v / ymax, "v": v} for v in range(0, ymax + 1, step)]
    legend = [{"name": name, "colour": SERIES_COLOURS[k % len(SERIES_COLOURS)]} for k, (name, _) in enumerate(series)]
    return {"width": width, "height": height, "left": left, "right": width - right, "base": top_pad + plot_h,
            "columns": columns, "ticks": ticks, "grid": grid, "legend": legend}


def _nice_step(top: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000):
        if top / step <= 5:
            return step
    return 10 ** len(str(top // 5))


def _quotation_key(row: dict[str, Any]) -> str:
    """Fragments of one quotation share attribution_id; without it (older output) each row is a quotation."""
    return row.get("attribution_id") or f"{row['article_id']}:{row['start_char']}:{row.get('in_title')}"


def _speech(quotes: pa.Table) -> pa.Table:
    """Speech attributions: cue_type 'speech', or no cue_type at all (output written before the column)."""
    cue_type = quotes.column("cue_type")
    return quotes.filter(pc.or_kleene(pc.is_null(cue_type), pc.equal(cue_type, "speech")))


def health(loaded: Loaded) -> dict[str, Any]:
    articles, errors = loaded.tables["articles"], loaded.tables["errors"]
    by_stage: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in errors.select(["stage", "error", "source_uri", "payload_bytes", "payload_truncated"]).to_pylist():
        by_stage[row["stage"]].append(row)
    stages = []
    for stage, rows in sorted(by_stage.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        reasons = Counter(_short(r["error"], MAX_REASON_CHARS) for r in rows)
        examples = []
        for reason, count in reasons.most_common(ERROR_EXAMPLES):
            first = next(r for r in rows if _short(r["error"], MAX_REASON_CHARS) == reason)
            examples.append({"reason": reason, "count": count, "source_uri": first["source_uri"],
                             "payload_bytes": first["payload_bytes"], "truncated": bool(first["payload_truncated"])})
        stages.append({"stage": stage, "count": len(rows), "examples": examples, "distinct": len(reasons)})

    status = articles.column("nlp_status").to_pylist()
    languages = articles.column("language").to_pylist()
    skipped_languages = Counter(lang or "unknown" for lang, s in zip(languages, status, strict=True)
                                if s and s.startswith("skipped: language"))
    other_skips = Counter(re.sub(r"\d[\d,]*", "N", s) for s in status
                          if s and s.startswith("skipped") and not s.startswith("skipped: language"))
    dup = articles.filter(pc.is_valid(articles.column("duplicate_of")))
    titles = dict(zip(articles.column("article_id").to_pylist(), articles.column("title").to_pylist(), strict=True))
    near = [{"title": r["title"] or r["article_id"], "of": titles.get(r["duplicate_of"]) or r["duplicate_of"]}
            for r in dup.select(["article_id", "title", "duplicate_of"]).slice(0, 10).to_pylist()]

    runs = []
    for record in loaded.runs:
        if "counts" not in record:
            runs.append({"run_id": record.get("run_id"), "mode": record.get("mode", ""), "line": "",
                         "ok": False, "problem": record.get("unreadable") or "no counts in this record"})
            continue
        from pipeline.run_record import reconciles, summary_line

        counts = dict(record["counts"])
        ok = all(k in counts for k in ("inputs", "articles", "errors", "duplicates")) and reconciles(counts)
        try:
            line = summary_line(record)
        except (KeyError, TypeError, ValueError) as exc:
            line, ok = f"unreadable counts: {exc}", False
        runs.append({"run_id": record.get("run_id"), "mode": record.get("mode", ""), "line": line, "ok": ok,
                     "partition_date": record.get("partition_date"), "problem": None})
    duplicates = sum(int(r.get("counts", {}).get("duplicates", 0) or 0) for r in loaded.runs)
    per_day = Counter(articles.column(PARTITION_COLUMN).to_pylist())
    days = sorted(per_day)
    return {
        "articles": articles.num_rows,
        "words": int(pc.sum(articles.column("word_count")).as_py() or 0),
        "errors": errors.num_rows,
        "stages": stages,
        "duplicates": duplicates,
        "near_copies": dup.num_rows,
        "near_examples": near,
        "skipped_languages": skipped_languages.most_common(),
        "skipped_languages_total": sum(skipped_languages.values()),
        "other_skips": other_skips.most_common(),
        "runs": runs,
        "runs_ok": all(r["ok"] for r in runs),
        "sources": len({s for s in articles.column("source").to_pylist() if s}),
        "per_day": stacked_columns(days, [("articles", dict(per_day))], height=200) if days else None,
    }


def speakers(loaded: Loaded, article_info: dict[str, dict[str, Any]]) -> dict[str, Any]:
    quotes = _speech(loaded.tables["quotes"])
    rows = quotes.select(["article_id", "text", "start_char", "speaker", "speaker_canonical", "cue", "kind",
                          "attribution_id", "in_title", PARTITION_COLUMN]).to_pylist()
    quotations: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = _quotation_key(row)
        q = quotations.get(key)
        if q is None:
            quotations[key] = q = {"speaker": row["speaker_canonical"], "mention": row["speaker"],
                                   "article_id": row["article_id"], "day": row[PARTITION_COLUMN], "cue": row["cue"],
                                   "kind": row["kind"], "fragments": []}
        q["fragments"].append((row["start_char"], row["text"]))
    per_speaker: dict[str, list[dict[str, Any]]] = defaultdict(list)
    unattributed = 0
    for q in quotations.values():
        if q["speaker"]:
            per_speaker[q["speaker"]].append(q)
        else:
            unattributed += 1
    ranked = sorted(per_speaker.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:TOP_SPEAKERS]
    table = []
    for name, qs in ranked:
        def recency(q: dict[str, Any]) -> tuple[str, str]:
            info = article_info.get(q["article_id"], {})
            return (info.get("sort") or q["day"] or "", q["article_id"])

        recent = []
        for q in sorted(qs, key=recency, reverse=True)[:RECENT_QUOTES]:
            info = article_info.get(q["article_id"], {})
            text = " … ".join(t for _, t in sorted(q["fragments"]))
            recent.append({"text": _short(text, 400), "cue": q["cue"], "mention": q["mention"],
                           "title": info.get("title") or q["article_id"], "url": _safe_url(info.get("url")),
                           "day": q["day"], "article_id": q["article_id"]})
        table.append({"name": name, "quotes": len(qs), "articles": len({q["article_id"] for q in qs}),
                      "recent": recent})
    days = sorted({q["day"] for qs in per_speaker.values() for q in qs})
    series = [(name, Counter(q["day"] for q in qs)) for name, qs in ranked[:TIMELINE_SPEAKERS]]
    return {
        "table": table,
        "chart": bar_chart([(s["name"], s["quotes"]) for s in table]) if table else None,
        "timeline": stacked_columns(days, series) if series else None,
        "quotations": len(quotations),
        "attributed": len(quotations) - unattributed,
        "unattributed": unattributed,
        "speakers": len(per_speaker),
        "fragments": quotes.num_rows,
        "non_speech": loaded.tables["quotes"].num_rows - quotes.num_rows,
        "non_speech_types": Counter(t for t in loaded.tables["quotes"].column("cue_type").to_pylist()
                                    if t is not None and t != "speech").most_common(),
    }


def entities(loaded: Loaded) -> dict[str, Any]:
    table = loaded.tables["entities"]
    if table.num_rows == 0:
        return {"labels": [], "other": [], "total": 0}
    grouped = table.group_by(["label", "canonical"]).aggregate([("article_id", "count"),
                                                                 ("article_id", "count_distinct")])
    per_label: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for row in grouped.to_pylist():
        per_label[row["label"]].append((row["canonical"], row["article_id_count"], row["article_id_count_distinct"]))
    labels = []
    for label, items in per_label.items():
        items.sort(key=lambda x: (-x[1], x[0]))
        top = items[:ENTITIES_PER_LABEL]
        labels.append({"label": label, "colour": _colour(label), "mentions": sum(i[1] for i in items),
                       "distinct": len(items),
                       "chart": bar_chart([(name, n) for name, n, _ in top], colour=_colour(label), width=460,
                                          label_width=170),
                       "top": [{"name": name, "mentions": n, "articles": a} for name, n, a in top]})
    labels.sort(key=lambda x: (-x["mentions"], x["label"]))
    return {"labels": [x for x in labels if x["label"] not in NUMERIC_LABELS],
            "other": [x for x in labels if x["label"] in NUMERIC_LABELS], "total": table.num_rows}


def _valid_spans(spans: list[dict[str, Any]], length: int) -> list[dict[str, Any]]:
    return [s for s in spans if s["start_char"] is not None and s["end_char"] is not None
            and 0 <= s["start_char"] < s["end_char"] <= length]


def marked_text(text: str, quotes: list[dict[str, Any]], ents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The text cut at every quote and entity boundary: a list of chunks (a quote, or plain text), each a list
    of parts (an entity, or plain text). Quotes are the outer marks, entities the inner ones; an entity that
    crosses a quote's edge is marked on both sides. Overlapping quotes or entities: the earliest one wins."""
    quotes = sorted(_valid_spans(quotes, len(text)), key=lambda s: (s["start_char"], -s["end_char"]))
    ents = sorted(_valid_spans(ents, len(text)), key=lambda s: (s["start_char"], -s["end_char"]))
    cuts = sorted({0, len(text)} | {s[k] for s in quotes + ents for k in ("start_char", "end_char")})

    def cover(spans: list[dict[str, Any]], a: int, b: int) -> int | None:
        for i, s in enumerate(spans):
            if s["start_char"] > a:
                break
            if s["end_char"] >= b:
                return i
        return None

    chunks: list[dict[str, Any]] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        if a == b:
            continue
        qi, ei = cover(quotes, a, b), cover(ents, a, b)
        if not chunks or chunks[-1]["qi"] != qi:
            chunks.append({"qi": qi, "quote": quotes[qi] if qi is not None else None, "parts": []})
        parts = chunks[-1]["parts"]
        if parts and parts[-1]["ei"] == ei:  # the same entity, or plain text, goes on
            parts[-1]["text"] += text[a:b]
        else:
            ent = ents[ei] if ei is not None else None
            parts.append({"ei": ei, "text": text[a:b], "ent": ent, "colour": _colour(ent["label"]) if ent else None,
                          "last": False})
    # The label tag goes after an entity's last part, the speaker tag after a quote's last chunk.
    seen_e: set[int] = set()
    seen_q: set[int] = set()
    for chunk in reversed(chunks):
        if chunk["qi"] is not None:
            chunk["last"] = chunk["qi"] not in seen_q
            seen_q.add(chunk["qi"])
        for part in reversed(chunk["parts"]):
            if part["ei"] is not None:
                part["last"] = part["ei"] not in seen_e
                seen_e.add(part["ei"])
    return chunks


def article_view(loaded: Loaded, article_info: dict[str, dict[str, Any]], must: list[str],
                 limit: int) -> dict[str, Any]:
    articles = loaded.tables["articles"]
    order = sorted(article_info.values(), key=lambda a: (a["sort"], a["article_id"]), reverse=True)
    chosen: list[str] = []
    if limit <= 0:
        chosen = [a["article_id"] for a in order]
    else:
        for article_id in must + [a["article_id"] for a in order]:
            if len(chosen) >= limit:
                break
            if article_id in article_info and article_id not in chosen:
                chosen.append(article_id)
        chosen.sort(key=lambda i: (article_info[i]["sort"], i), reverse=True)
    wanted = pa.array(chosen, pa.string())
    texts = articles.filter(pc.is_in(articles.column("article_id"), value_set=wanted)).select(
        ["article_id", "text"]).to_pylist()
    text_of = {r["article_id"]: r["text"] or "" for r in texts}
    spans_e: dict[str, list[dict[str, Any]]] = defaultdict(list)
    ents = loaded.tables["entities"]
    for row in ents.filter(pc.is_in(ents.column("article_id"), value_set=wanted)).to_pylist():
        spans_e[row["article_id"]].append(row)
    spans_q: dict[str, list[dict[str, Any]]] = defaultdict(list)
    spans_t: dict[str, list[dict[str, Any]]] = defaultdict(list)
    quotes = loaded.tables["quotes"]
    for row in quotes.filter(pc.is_in(quotes.column("article_id"), value_set=wanted)).to_pylist():
        (spans_t if row["in_title"] else spans_q)[row["article_id"]].append(row)
    docs = []
    for n, article_id in enumerate(chosen):
        info = article_info[article_id]
        text = text_of.get(article_id, "")
        quotes_here = spans_q[article_id] + spans_t[article_id]
        speakers_here = sorted({q["speaker_canonical"] or q["speaker"] for q in quotes_here
                                if q["speaker_canonical"] or q["speaker"]})
        names = sorted({e["canonical"] for e in spans_e[article_id]})
        mismatched = sum(1 for s in _valid_spans(spans_q[article_id], len(text))
                         if text[s["start_char"]:s["end_char"]] != s["text"])
        mismatched += sum(1 for s in _valid_spans(spans_e[article_id], len(text))
                          if text[s["start_char"]:s["end_char"]] != s["text"])
        out_of_range = (len(spans_q[article_id]) + len(spans_e[article_id])
                        - len(_valid_spans(spans_q[article_id], len(text)))
                        - len(_valid_spans(spans_e[article_id], len(text))))
        docs.append({
            "anchor": f"a-{n}", "article_id": article_id, "title": info["title"] or "(untitled)",
            "url": _safe_url(info["url"]), "raw_url": info["url"], "day": info["day"], "when": info["when"],
            "source": info["source"], "language": info["language"], "status": info["status"],
            "words": info["words"], "duplicate_of": info["duplicate_of"],
            "title_chunks": marked_text(info["title"] or "", spans_t[article_id], []),
            "chunks": marked_text(text, spans_q[article_id], spans_e[article_id]),
            "entities": len(spans_e[article_id]), "quotes": len(quotes_here), "speakers": speakers_here,
            "labels": sorted({e["label"] for e in spans_e[article_id]}),
            "search": " ".join([info["title"] or "", info["source"] or "", info["day"] or "", article_id,
                                *speakers_here, *names]).lower(),
            "offset_problems": mismatched + out_of_range,
        })
    anchors = {d["article_id"]: d["anchor"] for d in docs}
    labels_used = sorted({label for d in docs for label in d["labels"]})
    return {"docs": docs, "anchors": anchors, "total": articles.num_rows,
            "legend": [{"label": label, "colour": _colour(label)} for label in labels_used]}


def _article_info(articles: pa.Table) -> dict[str, dict[str, Any]]:
    cols = ["article_id", "title", "url", "published_at", "ingested_at", "source", "language", "nlp_status",
            "word_count", "duplicate_of", PARTITION_COLUMN]
    info = {}
    for row in articles.select(cols).to_pylist():
        when = row["published_at"] or row["ingested_at"]
        info[row["article_id"]] = {
            "article_id": row["article_id"], "title": row["title"], "url": row["url"], "day": row[PARTITION_COLUMN],
            "sort": when.isoformat() if when else row[PARTITION_COLUMN] or "", "when": _when(when),
            "source": row["source"], "language": row["language"], "status": row["nlp_status"],
            "words": row["word_count"], "duplicate_of": row["duplicate_of"],
        }
    return info


# ---------------------------------------------------------------------------------------------- rendering


def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("pipeline", "templates"), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _script() -> str:
    return resources.files("pipeline").joinpath("templates", SCRIPT).read_text(encoding="utf-8")


def render(context: dict[str, Any]) -> str:
    script = _script()
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    return _environment().get_template(TEMPLATE).render(script=script, csp=csp, **context)


@dataclass
class ReportStats:
    articles: int
    quotes: int
    errors: int
    embedded_articles: int
    size_bytes: int
    seconds: float
    path: str
    timings: dict[str, float] = field(default_factory=dict)


def _check_date(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise ReportError(f"{option} wants a date YYYY-MM-DD, got {value!r}") from None


def build_context(loaded: Loaded, date_from: str | None, date_to: str | None, max_articles: int,
                  title: str | None, root: str) -> dict[str, Any]:
    info = _article_info(loaded.tables["articles"])
    speaker_part = speakers(loaded, info)
    must = [q["article_id"] for s in speaker_part["table"] for q in s["recent"]]
    view = article_view(loaded, info, must, max_articles)
    return {
        "title": title or "News pipeline report",
        "root": root,
        "range": {"from": date_from or (loaded.partitions[0] if loaded.partitions else None),
                  "to": date_to or (loaded.partitions[-1] if loaded.partitions else None),
                  "days": len(loaded.partitions)},
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "health": health(loaded),
        "speakers": speaker_part,
        "entities": entities(loaded),
        "view": view,
        "max_articles": max_articles,
    }


def build_report(tables: str, html: str, date_from: str | None = None, date_to: str | None = None,
                 max_articles: int = DEFAULT_ARTICLES, title: str | None = None) -> ReportStats:
    started = time.perf_counter()
    date_from, date_to = _check_date(date_from, "--from"), _check_date(date_to, "--to")
    if date_from and date_to and date_from > date_to:
        raise ReportError(f"--from {date_from} is after --to {date_to}")
    if max_articles < 0:
        raise ReportError("--articles must be 0 (all) or more")
    timings = {}
    loaded = load(tables, date_from, date_to)
    timings["read"] = time.perf_counter() - started
    context = build_context(loaded, date_from, date_to, max_articles, title, tables)
    timings["summarise"] = time.perf_counter() - started - timings["read"]
    page = render(context).encode("utf-8")
    timings["render"] = time.perf_counter() - started - timings["read"] - timings["summarise"]
    _write(html, page)
    return ReportStats(articles=loaded.tables["articles"].num_rows, quotes=context["speakers"]["quotations"],
                       errors=loaded.tables["errors"].num_rows, embedded_articles=len(context["view"]["docs"]),
                       size_bytes=len(page), seconds=time.perf_counter() - started, path=html, timings=timings)


def _write(path: str, data: bytes) -> None:
    if _is_local(path):
        path = _local(path)
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)  # a reader never sees half a page
        return
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.create(path, mime_type="text/html") as fh:
        fh.write(data)


if __name__ == "__main__":
    sys.exit(main())
