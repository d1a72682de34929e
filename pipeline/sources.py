"""Sources: article files (local or gs://, optionally gzipped) as raw inputs for the graph.

A raw input is one file, or one line of a JSONL file. Reading never fails the pipeline: an
unreadable file (corrupt gzip, say) becomes a raw input that the parse stage dead-letters.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from transforms.records import RawInput

FORMAT_BY_SUFFIX = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".txt": "txt",
    ".text": "txt",
    ".html": "html",
    ".htm": "html",
}


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


def gunzip(data: bytes, limit: int) -> bytes:
    """Decompress gzip with a bound on the output size (a decompression bomb stops at limit+1 bytes)."""
    d = zlib.decompressobj(wbits=47)
    out = d.decompress(data, limit + 1)
    while d.eof and d.unused_data and len(out) <= limit:  # concatenated gzip members
        rest = d.unused_data
        d = zlib.decompressobj(wbits=47)
        out += d.decompress(rest, limit + 1 - len(out))
    if not d.eof and len(out) <= limit:
        raise zlib.error("truncated stream (no gzip end marker)")
    return out


def expand_patterns(patterns: list[str]) -> dict[str, int]:
    """How many files each pattern matches (used to fail fast on typos before launching a job)."""
    counts = {}
    for pattern in patterns:
        results = FileSystems.match([pattern])
        counts[pattern] = len(results[0].metadata_list) if results else 0
    return counts


def raw_inputs_from_file(path: str, data: bytes, max_input_bytes: int) -> Iterator[RawInput]:
    fmt, gz = format_of(path)
    if gz:
        try:
            data = gunzip(data, max_input_bytes)
        except zlib.error as exc:
            yield {"source_uri": path, "payload": data, "format": fmt or "unknown",
                   "read_error": f"corrupt gzip: {exc}"}
            return
    if gz and len(data) > max_input_bytes:
        yield {"source_uri": path, "payload": data[:max_input_bytes], "format": fmt or "unknown",
               "read_error": f"decompressed size is over the limit of {max_input_bytes} bytes (--max_input_bytes); "
                             "payload holds the first bytes"}
        return
    if fmt == "jsonl":
        for lineno, line in enumerate(data.split(b"\n"), start=1):
            if line.strip():
                yield {"source_uri": f"{path}#L{lineno}", "payload": line.rstrip(b"\r"), "format": "json"}
        return
    yield {"source_uri": path, "payload": data, "format": fmt or "unknown"}


class ReadArticleFiles(beam.PTransform):
    """Glob patterns -> raw inputs (one per file, one per JSONL line)."""

    def __init__(self, patterns: list[str], max_input_bytes: int):
        super().__init__()
        self.patterns = list(patterns)
        self.max_input_bytes = max_input_bytes

    def expand(self, pbegin):
        limit = self.max_input_bytes

        def read(path: str) -> Iterator[RawInput]:
            with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
                data = handle.read()
            yield from raw_inputs_from_file(path, data, limit)

        return (
            pbegin
            | "Patterns" >> beam.Create(self.patterns)
            | "Match" >> fileio.MatchAll()
            | "Paths" >> beam.Map(lambda metadata: metadata.path)
            | "Each file once" >> beam.Distinct()
            | "Read" >> beam.FlatMap(read)
        )
