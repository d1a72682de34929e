"""Sources: article files (local or gs://, optionally gzipped) as raw inputs for the graph.

The launcher lists the input files once (`list_inputs`): each match becomes an InputFile with its canonical
URI, size and version, which is what the run's identity and the ingest ledger are made of. Only regular files
are read. Symlinks are not followed unless asked; named pipes, devices, sockets and dangling links become
`errors` rows without ever being opened, so a FIFO cannot hang a run and `/dev/zero` cannot fill memory.

Reading is bounded: a file is read up to --max_input_bytes (plus one byte to tell it is over), JSONL (plain or
gzipped, any size) is streamed record by record with --max_record_bytes per record, gzip is decompressed as a
stream (linear time, however many members), and an input over a limit becomes an `errors` row holding its
first bytes plus its whole size and sha256. Reading never fails the pipeline.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import stat
import zlib
from collections.abc import Iterator

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from pipeline.inputs import REGULAR, InputFile, canonical_local, list_inputs  # noqa: F401 - re-exported
from transforms.records import ERROR_PAYLOAD_BYTES, RawInput

FORMAT_BY_SUFFIX = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".txt": "txt",
    ".text": "txt",
    ".html": "html",
    ".htm": "html",
}
CHUNK = 1 << 20


def format_of(path: str) -> tuple[str | None, bool]:
    """(format, gzipped) from a file name such as 'a/b/page.html.gz'."""
    name = path.lower()
    gz = name.endswith(".gz")
    if gz:
        name = name[:-3]
    for suffix, fmt in FORMAT_BY_SUFFIX.items():
        if name.endswith(suffix):
            return fmt, gz
    return None, gz


# -- bounded reading --------------------------------------------------------------------------------------

def _open_local(uri: str, follow_symlinks: bool):
    """Open only what is still a regular file: no following a link swapped in after listing, no FIFO wait."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= os.O_NOFOLLOW
    fd = os.open(uri, flags)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"{uri} is no longer a regular file")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb", buffering=CHUNK)


def open_input(uri: str, follow_symlinks: bool = False):
    if "://" in uri:
        return FileSystems.open(uri, compression_type=CompressionTypes.UNCOMPRESSED)
    return _open_local(uri, follow_symlinks)


def _error(uri: str, fmt: str | None, reason: str, head: bytes, size: int, digest: str) -> RawInput:
    return {"source_uri": uri, "payload": head[:ERROR_PAYLOAD_BYTES], "format": fmt or "unknown",
            "read_error": reason, "payload_bytes": size, "payload_sha256": digest}


def _rest(stream, head: bytes) -> tuple[int, str]:
    """Size and sha256 of head plus everything left in stream, read in chunks (bounded memory)."""
    h = hashlib.sha256(head)
    size = len(head)
    while chunk := stream.read(CHUNK):
        h.update(chunk)
        size += len(chunk)
    return size, h.hexdigest()


def _read_bounded(raw, uri: str, fmt: str | None, gz: bool, limit: int) -> Iterator[RawInput]:
    """One whole-file input (json, txt, html): at most limit+1 bytes ever held."""
    if not gz:
        data = raw.read(limit + 1)
        if len(data) > limit:
            size, digest = _rest(raw, data)
            yield _error(uri, fmt, f"input is {size} bytes, over the limit of {limit} (--max_input_bytes); "
                                   "payload holds the first bytes", data, size, digest)
            return
        yield {"source_uri": uri, "payload": data, "format": fmt or "unknown"}
        return
    # Keep the compressed bytes seen so far, to dead-letter the input as it was stored.
    tee = _Tee(raw, ERROR_PAYLOAD_BYTES)
    try:
        data = gzip.GzipFile(fileobj=tee, mode="rb").read(limit + 1)
    except (OSError, EOFError, zlib.error) as exc:
        size, digest = tee.drain()
        yield _error(uri, fmt, f"corrupt gzip: {exc}", tee.head, size, digest)
        return
    if len(data) > limit:
        size, digest = tee.drain()
        yield _error(uri, fmt, f"decompressed size is over the limit of {limit} bytes (--max_input_bytes); payload "
                               "holds the first bytes of the gzip file", tee.head, size, digest)
        return
    yield {"source_uri": uri, "payload": data, "format": fmt or "unknown"}


class _Tee(io.RawIOBase):
    """A read-only stream that hashes and counts what passes through and keeps its first bytes."""

    def __init__(self, raw, keep: int):
        self.raw, self.keep = raw, keep
        self.head = b""
        self.consumed = 0
        self._hash = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._hash.update(data)
        self.consumed += n
        if len(self.head) < self.keep:
            self.head += data[: self.keep - len(self.head)]
        return n

    def drain(self) -> tuple[int, str]:
        """Read the rest through the tee: (whole size, sha256) of the stream, in bounded memory."""
        while self.read(CHUNK):
            pass
        return self.consumed, self._hash.hexdigest()


def _read_jsonl(stream, uri: str, record_limit: int, first: int = 1, last: int | None = None) -> Iterator[RawInput]:
    """One raw input per non-empty line, streamed; a line over record_limit becomes an errors row.

    Only lines first..last (1-based, last None: to the end) are yielded: a local run reads a large file in
    several passes (pipeline.passes), each a range of lines. A corrupt gzip is reported by the one range
    whose lines it cut off, so each input line still ends in exactly one pass."""
    lineno = 0
    try:
        for lineno, line in enumerate(iter(lambda: stream.readline(record_limit + 1), b""), start=1):
            if last is not None and lineno > last:
                return
            skip = lineno < first
            if len(line) > record_limit and not line.endswith(b"\n"):
                h = hashlib.sha256(line)
                size = len(line)
                head = line[:ERROR_PAYLOAD_BYTES]
                while True:  # the rest of this record, hashed, never held
                    more = stream.readline(CHUNK)
                    if not more:
                        break
                    if not skip:
                        h.update(more.rstrip(b"\n") if more.endswith(b"\n") else more)
                    size += len(more) - (1 if more.endswith(b"\n") else 0)
                    if more.endswith(b"\n"):
                        break
                if not skip:
                    yield _error(f"{uri}#L{lineno}", "json", f"record is {size} bytes, over the limit of "
                                 f"{record_limit} (--max_record_bytes); payload holds the first bytes", head, size,
                                 h.hexdigest())
                continue
            if skip:
                continue
            line = line.rstrip(b"\n").rstrip(b"\r")
            if line.strip():
                yield {"source_uri": f"{uri}#L{lineno}", "payload": line, "format": "json"}
    except (OSError, EOFError, zlib.error) as exc:
        cut = lineno + 1  # the first line the corruption kept from being read
        if cut >= first and (last is None or cut <= last):
            yield _error(uri, "jsonl", f"corrupt gzip: {exc} (the records before this point were read)", b"", 0,
                         "")


def count_lines(entry: dict, follow_symlinks: bool = False) -> int:
    """Lines of a JSONL input (as _read_jsonl numbers them; a corrupt gzip counts up to the cut, plus one):
    what the local runner splits into passes. Streams the file once; memory stays at one chunk."""
    count, last = 0, b"\n"
    with open_input(entry["uri"], follow_symlinks) as raw:
        stream = gzip.GzipFile(fileobj=raw, mode="rb") if format_of(entry["uri"])[1] else raw
        try:
            while chunk := stream.read(CHUNK):
                count += chunk.count(b"\n")
                last = chunk[-1:]
        except (OSError, EOFError, zlib.error):
            return count + 1
    return count + (last != b"\n")


def read_stream(raw, uri: str, max_input_bytes: int, max_record_bytes: int | None = None, first: int = 1,
                last: int | None = None) -> Iterator[RawInput]:
    """Raw inputs of one open file (binary stream), with every limit applied while reading."""
    fmt, gz = format_of(uri)
    if fmt == "jsonl":
        stream = gzip.GzipFile(fileobj=raw, mode="rb") if gz else raw
        yield from _read_jsonl(stream, uri, max_record_bytes or max_input_bytes, first, last)
        return
    yield from _read_bounded(raw, uri, fmt, gz, max_input_bytes)


def raw_inputs_from_file(path: str, data: bytes, max_input_bytes: int) -> Iterator[RawInput]:
    """The raw inputs of a file already in memory (the publish command, tools)."""
    yield from read_stream(io.BytesIO(data), path, max_input_bytes)


def read_input(entry: dict, max_input_bytes: int, max_record_bytes: int | None = None,
               follow_symlinks: bool = False) -> Iterator[RawInput]:
    """An InputFile (as a dict) -> its raw inputs; what is not a regular file is refused without opening it.

    A JSONL entry may carry first_line/last_line: only those lines are read (a pass of a local run)."""
    uri, kind = entry["uri"], entry["kind"]
    fmt, _ = format_of(uri)
    if kind != REGULAR:
        yield _error(uri, fmt, f"not read: {kind}, not a regular file", b"", 0, hashlib.sha256().hexdigest())
        return
    first, last = entry.get("first_line", 1), entry.get("last_line")
    try:
        handle = open_input(uri, follow_symlinks)
    except OSError as exc:
        where = f"#L{first}-" if first > 1 else ""  # a later pass of a file: its own row, for its own lines
        yield _error(uri + where, fmt, f"could not open: {exc}", b"", 0, "")
        return
    with handle:
        yield from read_stream(handle, uri, max_input_bytes, max_record_bytes, first, last)


def read_manifest(path: str) -> Iterator[dict]:
    """The InputFile dicts of a run's input manifest (one JSON object per line)."""
    import json

    from pipeline.commit import FileSystems

    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
        for line in fh.read().decode("utf-8").splitlines():
            if line.strip():
                yield json.loads(line)


class ReadArticleFiles(beam.PTransform):
    """A run's input manifest (the listed files, see pipeline.inputs) -> raw inputs (one per file, one per JSONL
    record). The list travels as a file, not inside the job graph: Dataflow limits a graph's size, and a
    landing folder may list many thousands of files."""

    def __init__(self, manifest: str, max_input_bytes: int, max_record_bytes: int | None = None,
                 follow_symlinks: bool = False):
        super().__init__()
        self.manifest = manifest
        self.max_input_bytes, self.max_record_bytes = max_input_bytes, max_record_bytes
        self.follow_symlinks = follow_symlinks

    def expand(self, pbegin):
        limit, record_limit, follow = self.max_input_bytes, self.max_record_bytes, self.follow_symlinks
        return (
            pbegin
            | "Manifest" >> beam.Create([self.manifest])
            | "Files" >> beam.FlatMap(read_manifest)
            | "Spread files" >> beam.Reshuffle()
            | "Read" >> beam.FlatMap(read_input, limit, record_limit, follow)
        )
