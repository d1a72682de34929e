"""Inputs are read as regular files with bounded memory: no symlink, pipe or device is followed or opened.

Hostile inputs written here: links out of the folder (to a secret, to /dev/zero), a named pipe, a dangling
link, a file far over the size limit, a JSONL.gz far over it with one over-long record, a gzip of many empty
members. Each becomes articles or `errors` rows with a bounded payload, its whole size and sha256.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import threading
import tracemalloc
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.inputs import REGULAR, canonical_local, list_inputs
from pipeline.sinks import read_table
from pipeline.sources import read_input, read_stream
from transforms.records import ERROR_PAYLOAD_BYTES, error_row

ARTICLE = {"title": "Harbour opens", "text": "Ann Lee opened the harbour in Lisbon on Monday. " * 20}


@pytest.fixture
def hostile(tmp_path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text("A title\n\nAnn Lee opened the harbour in Lisbon on Monday.", encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:do not publish me\n", encoding="utf-8")
    (folder / "shadow.txt").symlink_to(secret)
    (folder / "zero.txt").symlink_to("/dev/zero")
    (folder / "gone.txt").symlink_to(tmp_path / "nothing-here.txt")
    os.mkfifo(folder / "pipe.txt")
    return folder


def by_name(files) -> dict[str, str]:
    return {Path(f.uri).name: f.kind for f in files}


def test_only_regular_files_are_inputs_and_links_are_not_followed(hostile):
    files, unmatched = list_inputs([str(hostile / "*")])
    assert unmatched == []
    kinds = by_name(files)
    assert kinds["good.txt"] == REGULAR
    assert kinds["shadow.txt"].startswith("symlink") and kinds["zero.txt"].startswith("symlink")
    assert kinds["gone.txt"].startswith("symlink")
    assert kinds["pipe.txt"] == "named pipe"
    followed = by_name(list_inputs([str(hostile / "*")], follow_symlinks=True)[0])
    assert followed["shadow.txt"] == REGULAR and followed["zero.txt"] == "device"
    assert followed["gone.txt"] == "dangling symlink"


def test_what_is_not_a_regular_file_is_refused_without_opening_it(hostile):
    files, _ = list_inputs([str(hostile / "*")])
    rows = []

    def read_all():
        for f in files:
            rows.extend(read_input(vars(f), 1_000_000))

    reader = threading.Thread(target=read_all, daemon=True)
    reader.start()
    reader.join(timeout=20)
    assert not reader.is_alive(), "reading hung (a named pipe was opened?)"
    errors = {Path(r["source_uri"]).name: r for r in rows if r.get("read_error")}
    assert set(errors) == {"shadow.txt", "zero.txt", "gone.txt", "pipe.txt"}
    assert all(r["payload"] == b"" for r in errors.values())
    assert "not a regular file" in errors["pipe.txt"]["read_error"]
    assert b"do not publish" not in b"".join(r["payload"] for r in rows)


def test_a_file_swapped_for_a_link_after_listing_is_not_followed(tmp_path):
    path = tmp_path / "late.txt"
    path.write_text("A title\n\nBody.", encoding="utf-8")
    files, _ = list_inputs([str(path)])
    path.unlink()
    path.symlink_to("/etc/hostname")
    (row,) = list(read_input(vars(files[0]), 1000))
    assert row["read_error"].startswith("could not open") and row["payload"] == b""


def test_paths_are_canonical_however_the_glob_spells_them(tmp_path, monkeypatch):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("t\n\nb", encoding="utf-8")
    (tmp_path / "alias").symlink_to(tmp_path / "d")  # a linked folder is resolved; linked files are not
    monkeypatch.chdir(tmp_path)
    spellings = ["d/*.txt", str(tmp_path / "d" / "*"), "d/./a.txt", "alias/a.txt"]
    uris = {f.uri for s in spellings for f in list_inputs([s])[0]}
    assert uris == {canonical_local(str(tmp_path / "d" / "a.txt"))}


def test_a_large_file_is_never_held_whole(tmp_path):
    big = tmp_path / "big.txt"
    chunk = b"x" * (1 << 20)
    with big.open("wb") as fh:
        for _ in range(40):
            fh.write(chunk)
    files, _ = list_inputs([str(big)])
    tracemalloc.start()
    (row,) = list(read_input(vars(files[0]), max_input_bytes=2_000_000))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8_000_000  # the limit plus a chunk or two, not 40 MB
    assert "over the limit" in row["read_error"]
    assert row["payload_bytes"] == 40 << 20
    assert row["payload_sha256"] == hashlib.sha256(chunk * 40).hexdigest()
    err = error_row(row, "parse", row["read_error"])
    assert len(err["payload"]) == ERROR_PAYLOAD_BYTES and err["payload_truncated"]
    assert err["payload_bytes"] == 40 << 20 and err["payload_sha256"] == row["payload_sha256"]


def test_a_large_jsonl_gz_is_streamed_record_by_record(tmp_path):
    """Decompressed far over --max_input_bytes: every record is read; one over-long record is an errors row."""
    path = tmp_path / "day.jsonl.gz"
    line = json.dumps(ARTICLE).encode() + b"\n"
    huge = json.dumps({"title": "t", "text": "y" * 3_000_000}).encode() + b"\n"
    n = 3000
    with gzip.open(path, "wb") as fh:
        for i in range(n):
            fh.write(line)
            if i == 10:
                fh.write(huge)
    assert n * len(line) > 2_000_000
    files, _ = list_inputs([str(path)])
    rows = list(read_input(vars(files[0]), max_input_bytes=2_000_000, max_record_bytes=1_000_000))
    good = [r for r in rows if not r.get("read_error")]
    bad = [r for r in rows if r.get("read_error")]
    assert len(good) == n and all(r["payload"] == line.rstrip(b"\n") for r in good)
    (err,) = bad
    assert err["source_uri"].endswith("#L12") and "--max_record_bytes" in err["read_error"]
    assert err["payload_bytes"] == len(huge) - 1
    assert err["payload_sha256"] == hashlib.sha256(huge.rstrip(b"\n")).hexdigest()
    assert len(err["payload"]) <= ERROR_PAYLOAD_BYTES
    assert good[11]["source_uri"].endswith("#L13")  # record numbers stay line numbers


def test_a_gzip_of_many_empty_members_reads_as_nothing(tmp_path):
    member = gzip.compress(b"")
    data = member * (2_000_000 // len(member)) + gzip.compress(json.dumps(ARTICLE).encode())
    rows = list(read_stream(io.BytesIO(data), str(tmp_path / "x.json.gz"), max_input_bytes=1_000_000))
    (row,) = rows
    assert json.loads(row["payload"]) == ARTICLE


def test_a_gzip_bomb_stops_at_the_limit(tmp_path):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb") as fh:
        for _ in range(50):
            fh.write(b"\0" * (1 << 20))
    data = buf.getvalue()
    (row,) = list(read_stream(io.BytesIO(data), "bomb.txt.gz", max_input_bytes=1_000_000))
    assert "over the limit" in row["read_error"]
    assert row["payload_bytes"] == len(data) and row["payload_sha256"] == hashlib.sha256(data).hexdigest()


def test_a_run_over_hostile_inputs_publishes_nothing_it_should_not(hostile, tmp_path):
    out = tmp_path / "out"
    err_out, std_out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(std_out), contextlib.redirect_stderr(err_out):
        rc = main(["run", "--input", str(hostile / "*"), "--output", str(out), "--direct_num_workers=1"])
    assert rc == 0, err_out.getvalue()[-2000:]
    assert "inputs=5 = articles=1 + errors=4 + duplicates=0 [OK]" in std_out.getvalue()
    texts = " ".join(r["text"] for r in read_table(str(out), "articles").to_pylist())
    assert "do not publish" not in texts
    errors = {Path(r["source_uri"]).name: r for r in read_table(str(out), "errors").to_pylist()}
    assert set(errors) == {"shadow.txt", "zero.txt", "gone.txt", "pipe.txt"}
    assert all(r["stage"] == "read" and r["payload_bytes"] == 0 for r in errors.values())


def test_a_refused_input_is_an_errors_row_once_not_on_every_rerun(hostile, tmp_path):
    out = tmp_path / "out"
    for _ in range(2):
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            assert main(["run", "--input", str(hostile / "*"), "--output", str(out), "--direct_num_workers=1"]) == 0
    assert len(read_table(str(out), "errors").to_pylist()) == 4
