"""Give freed heap memory back to the operating system between and during the heavy steps."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to trim
        return None


def release_free_memory() -> None:
    """Collect garbage, then ask glibc to return free heap pages (malloc_trim).

    Why: on the local runner every stage runs in the same worker processes. Reading, cleaning and
    the dedup shuffles leave the heap fragmented with free pages that glibc keeps mapped, so a
    worker's resident size would carry them into the NLP step, where the spaCy model and its
    working memory come on top. Trimming costs milliseconds.
    """
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
