"""Near-duplicates: syndicated copies of one story with small edits (a new headline, a trimmed
paragraph, a different byline) found with MinHash over word shingles and LSH banding (datasketch's
scheme and parameters; signatures computed here so workers need not import it).

A near-duplicate is kept as an article and marked: `duplicate_of` names the earliest article
(by published time, then article_id) whose estimated Jaccard similarity with it reaches the
threshold. The choice is deterministic, so a re-run or a backfill marks the same rows.

Two implementations with the same semantics:
  * find_near_duplicates(): in memory, datasketch's MinHashLSH index (tests, small batches);
  * NearCopyEarlier / MarkNearDuplicates: Beam transforms that spread the LSH bands over workers
    (one GroupByKey per band bucket), so no worker needs every signature. They only group, so in
    streaming they are window-local: copies are found within one window. The batch graph runs
    them on small (order, id, signature) members, see transforms.dedup.DeduplicateBatch.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

import apache_beam as beam
import mmh3
import numpy as np

NUM_PERM = 128
SEED = 1
SHINGLE_WORDS = 5
MIN_WORDS = 30  # shorter texts share too few shingles for a meaningful estimate
DEFAULT_THRESHOLD = 0.7  # estimated Jaccard of 5-word shingles: a copy with a paragraph changed
MAX_EARLIER_COMPARED = 50  # per LSH bucket: bounds the work when many texts share a band
_WORD = re.compile(r"\w+")


def _word_shingles(words: list[str], n: int) -> set[bytes]:
    return {" ".join(words[i : i + n]).encode("utf-8") for i in range(max(len(words) - n + 1, 0))}


def shingles(text: str, n: int = SHINGLE_WORDS) -> set[bytes]:
    """Word n-grams of the case-folded text: insensitive to punctuation, quote style and spacing."""
    return _word_shingles(_WORD.findall(text.casefold()), n)


def _hash32(data: bytes) -> int:
    """MurmurHash3: as well spread as datasketch's default SHA-1 prefix for MinHash, a few times faster."""
    return mmh3.hash(data, signed=False)


@functools.lru_cache(maxsize=4)
def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """The affine permutations datasketch's MinHash draws for SEED (scheme 'affine32'): odd a, any b."""
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _fmix32(hv: np.ndarray) -> np.ndarray:
    """MurmurHash3's finalizer, which datasketch applies before the permutations (uint32 wraps)."""
    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    return hv ^ (hv >> np.uint32(16))


def signature(text: str, num_perm: int = NUM_PERM) -> np.ndarray | None:
    """MinHash hash values (uint32) of the text's shingles, or None when the text is too short to compare.

    The same values as datasketch's MinHash(num_perm, seed=SEED, hashfunc=_hash32) (tests check it),
    computed here because importing datasketch pulls in scipy: ~1 s and ~40 MB in every worker process.
    """
    words = _WORD.findall(text.casefold())
    if len(words) < MIN_WORDS:
        return None
    hashes = np.fromiter((_hash32(s) for s in _word_shingles(words, SHINGLE_WORDS)), dtype=np.uint32)
    a, b = _permutations(num_perm)
    return (_fmix32(hashes).reshape(-1, 1) * a + b).min(axis=0)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures (share of equal hash values)."""
    return float(np.count_nonzero(a == b)) / len(a)


# datasketch's choice for the default threshold, so building the graph needs no scipy (a test checks it).
_DEFAULT_BANDS = tuple((start, start + 9) for start in range(0, 126, 9))


@functools.lru_cache(maxsize=16)
def lsh_bands(threshold: float, num_perm: int = NUM_PERM) -> tuple[tuple[int, int], ...]:
    """Band ranges that datasketch's MinHashLSH chooses for this threshold (its FP/FN optimum)."""
    if (threshold, num_perm) == (DEFAULT_THRESHOLD, NUM_PERM):
        return _DEFAULT_BANDS
    from datasketch import MinHashLSH

    return tuple(MinHashLSH(threshold=threshold, num_perm=num_perm).hashranges)


def band_keys(sig: np.ndarray, bands: Iterable[tuple[int, int]]) -> list[bytes]:
    """One bucket key per band: two texts sharing any bucket become a candidate pair."""
    return [i.to_bytes(2, "big") + sig[start:end].tobytes() for i, (start, end) in enumerate(bands)]


def order_key(row: dict[str, Any]) -> tuple[str, str]:
    """The earlier copy is the original: published first, then the smaller article_id. Undated last."""
    published = row.get("published_at")
    return (published.isoformat() if published is not None else "~", row["article_id"])


def find_near_duplicates(
    items: Iterable[tuple[str, tuple, str]], threshold: float = DEFAULT_THRESHOLD
) -> dict[str, str]:
    """{later article_id: earliest near-copy's article_id} for (article_id, order, text) items."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    found: dict[str, str] = {}
    kept: dict[str, tuple[tuple, np.ndarray]] = {}
    for ident, order, text in sorted(items, key=lambda item: item[1]):
        sig = signature(text)
        if sig is None or ident in kept:
            continue
        minhash = MinHash(num_perm=NUM_PERM, seed=SEED, hashvalues=sig, scheme="affine32")
        matches = [
            (kept[other][0], other) for other in lsh.query(minhash)
            if similarity(sig, kept[other][1]) >= threshold
        ]
        if matches:
            found[ident] = min(matches)[1]
        lsh.insert(ident, minhash)
        kept[ident] = (order, sig)
    return found


def _bucket_pairs(item, threshold: float):
    """Members of one LSH bucket -> (later id, (earlier order, earlier id)) for verified pairs."""
    _, members = item
    members = sorted(members, key=lambda m: m[0])
    for j, (_, id_j, sig_j) in enumerate(members):
        a = np.frombuffer(sig_j, dtype=np.uint32)
        for order_i, id_i, sig_i in members[max(0, j - MAX_EARLIER_COMPARED) : j]:
            if id_i != id_j and similarity(a, np.frombuffer(sig_i, dtype=np.uint32)) >= threshold:
                yield id_j, (order_i, id_i)


def _mark(item):
    """(article_id, {'rows': [row], 'earlier': [(order, id), ...]}) -> the row, marked if a copy."""
    _, grouped = item
    earlier = list(grouped["earlier"])
    for row in grouped["rows"]:
        if earlier:
            row = dict(row, duplicate_of=min(earlier)[1])
        yield row


def checked_threshold(threshold: float) -> float:
    if not 0 < threshold <= 1:
        raise ValueError("the near-duplicate threshold must be in (0, 1]")
    return threshold


def lsh_member(row: dict[str, Any]) -> tuple[tuple, str, bytes] | None:
    """(order, article_id, signature bytes) of an article, or None when it is too short to compare.

    Small (about 600 bytes), so the search for copies can run on these instead of on whole rows."""
    sig = signature(row["text"])
    return None if sig is None else (order_key(row), row["article_id"], sig.tobytes())


def _window_pairs(item, threshold: float, bands: tuple[tuple[int, int], ...]):
    """All members of one window -> the pairs that grouping them per LSH bucket gives (_bucket_pairs)."""
    _, members = item
    buckets: dict[bytes, list] = {}
    for member in members:
        for key in band_keys(np.frombuffer(member[2], dtype=np.uint32), bands):
            buckets.setdefault(key, []).append(member)
    for key, group in buckets.items():
        yield from _bucket_pairs((key, group), threshold)


class NearCopyEarlier(beam.PTransform):
    """LSH members -> (later article_id, (order, earlier article_id)) for every verified near-copy pair.

    Bounded input: one GroupByKey per band bucket spreads the comparisons over workers; no worker needs every
    signature. A stream groups per window instead, all of a window's members under one key, and buckets them
    in memory: the same pairs, with one grouped element per article instead of one per band (14), which is
    what a runner's triggers and GroupByKeys cost by (the local runner spent most of its time there), and a
    window's members are few (about 600 bytes each)."""

    def __init__(self, threshold: float):
        super().__init__()
        self.threshold = checked_threshold(threshold)

    def expand(self, members):
        threshold = self.threshold
        bands = lsh_bands(threshold)
        if not members.is_bounded:
            return (
                members
                | "Key by window" >> beam.Map(lambda member: (b"", member))
                | "Group window" >> beam.GroupByKey()
                | "Verify candidate pairs" >> beam.FlatMap(_window_pairs, threshold, bands)
            )

        def buckets(member):
            for key in band_keys(np.frombuffer(member[2], dtype=np.uint32), bands):
                yield key, member

        return (
            members
            | "Into LSH buckets" >> beam.FlatMap(buckets)
            | "Group buckets" >> beam.GroupByKey()
            | "Verify candidate pairs" >> beam.FlatMap(_bucket_pairs, threshold)
        )


def near_copy_originals(members, threshold: float):
    """LSH members -> {later article_id: (order, earliest original's article_id)} as a PCollection of pairs.

    Few articles are copies, so this map is small: it goes to every worker as a side input instead of
    every article row being shuffled through a join (which cost ~0.5 GB per process at 8,000 articles)."""
    return (members | "Near copies" >> NearCopyEarlier(threshold)
            | "Earliest original" >> beam.CombinePerKey(min))


def mark_copy(row: dict[str, Any], originals: dict[str, tuple[Any, str]]) -> dict[str, Any]:
    """The row, with duplicate_of set when it is a near-copy of an earlier article."""
    original = originals.get(row["article_id"])
    return dict(row, duplicate_of=original[1]) if original else row


class MarkNearDuplicates(beam.PTransform):
    """Articles -> the same articles, `duplicate_of` set on near-copies of an earlier article."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD):
        super().__init__()
        self.threshold = checked_threshold(threshold)

    def expand(self, articles):
        members = articles | "Signatures" >> beam.FlatMap(lambda row: [m] if (m := lsh_member(row)) else [])
        if articles.is_bounded:
            originals = near_copy_originals(members, self.threshold)
            return articles | "Mark copies" >> beam.Map(mark_copy, beam.pvalue.AsDict(originals))
        # A stream joins per window, so late rows are grouped and fire with their window's trigger.
        earlier = members | "Near copies" >> NearCopyEarlier(self.threshold)
        keyed = articles | "Key by id" >> beam.Map(lambda r: (r["article_id"], r))
        return (
            {"rows": keyed, "earlier": earlier}
            | "Join" >> beam.CoGroupByKey()
            | "Mark copies" >> beam.FlatMap(_mark)
        )
