"""`python -m pipeline publish`: files to messages (unit), and a round trip through the emulator."""

import gzip
import json
import os
import subprocess
import sys

import pytest

from pipeline.publish import parse_attributes, payloads_from_file
from tests.conftest import ROOT, SAMPLES
from tests.emulator import drain_subscription


def test_json_and_jsonl_payloads_are_sent_byte_for_byte():
    lines = b'{"id": "a", "text": "One."}\n\n{not json\r\n{"id": "b", "text": "Two."}\n'
    got = list(payloads_from_file("feed.jsonl", lines))
    assert got == [("feed.jsonl#L1", b'{"id": "a", "text": "One."}', None), ("feed.jsonl#L3", b"{not json", None),
                   ("feed.jsonl#L4", b'{"id": "b", "text": "Two."}', None)]
    assert list(payloads_from_file("a.json", b'{"text": "x"}')) == [("a.json", b'{"text": "x"}', None)]
    assert [p for _, p, _ in payloads_from_file("f.jsonl.gz", gzip.compress(lines))] == [p for _, p, _ in got]


def test_text_and_html_files_become_article_json():
    (_, data, _), = payloads_from_file("a.txt", b"\n  Headline here \nFirst paragraph.\n\nSecond.")
    assert json.loads(data) == {"title": "Headline here", "text": "First paragraph.\n\nSecond."}
    page = "<html><head><title>T</title></head><body><p>Körper</p></body></html>"
    (_, data, _), = payloads_from_file("p.html", page.encode())
    assert json.loads(data) == {"html": page}


def test_unreadable_inputs_are_reported_not_sent():
    (_, data, reason), = payloads_from_file("broken.jsonl.gz", b"\x1f\x8b not gzip")
    assert data is None and "corrupt gzip" in reason
    (_, data, reason), = payloads_from_file("bin.txt", b"\x00\x01\x02 binary")
    assert data is None and "binary" in reason
    (_, data, reason), = payloads_from_file("notes.md", b"# hi")
    assert data is None and "unknown file type" in reason


def test_attribute_pairs():
    assert parse_attributes(["source=wire", "k=a=b"]) == {"source": "wire", "k": "a=b"}
    with pytest.raises(ValueError):
        parse_attributes(["novalue"])


def publish_cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "pipeline", "publish", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)


@pytest.mark.emulator
def test_publish_round_trip(pubsub_emulator_host, tmp_path):
    topic = "projects/news-it/topics/publish-check"
    feed = tmp_path / "feed.jsonl"
    feed.write_bytes(b'{"id": "x1", "text": "One."}\n{broken\n')
    files = [str(SAMPLES / "txt" / "*.txt"), str(SAMPLES / "json" / "*.json"), str(feed)]

    assert publish_cli("--topic", "articles", *files).returncode == 2  # not a topic path
    assert publish_cli("--topic", topic, str(tmp_path / "none-*.json")).returncode == 2

    create = publish_cli("--topic", topic, "--create_topic", str(feed))  # creates the topic, no subscriber yet
    assert create.returncode == 0, create.stderr
    sub = "projects/news-it/subscriptions/publish-check-sub"
    result = publish_cli("--topic", topic, "--create_subscription", sub, "--attribute", "source=test-wire", *files)
    assert result.returncode == 0, result.stderr
    n_txt = len(list((SAMPLES / "txt").glob("*.txt")))
    n_json = len(list((SAMPLES / "json").glob("*.json")))
    expected = n_txt + n_json + 2
    assert f"published {expected} message(s) from {n_txt + n_json + 1} file(s)" in result.stdout
    assert "publishing" in result.stderr and f"{expected}/{expected}" in result.stderr  # the progress bar

    messages = drain_subscription(sub)
    assert len(messages) == expected
    assert {m.attributes["source"] for m in messages} == {"test-wire"}
    datas = [m.data for m in messages]
    assert b"{broken" in datas and b'{"id": "x1", "text": "One."}' in datas
    titles = {json.loads(d).get("title") for d in datas if d.startswith(b"{") and d != b"{broken"}
    kyiv = (SAMPLES / "txt" / "kyiv-security-guarantees.txt").read_text(encoding="utf-8")
    assert kyiv.strip().splitlines()[0].strip() in titles
