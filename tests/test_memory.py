"""The allocator settings the NLP step relies on: they take effect, and memory stays usable."""

import ctypes
import ctypes.util
import sys

import pytest

from transforms.memory import keep_freed_memory_for_reuse, release_free_memory

glibc_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt/malloc_trim")


def _minor_faults() -> int:
    with open("/proc/self/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[7])


def _churn(rounds: int, blocks: int, size: int) -> int:
    """Page faults of allocating, touching and freeing `blocks` arrays of `size` bytes (one batch's
    working memory) `rounds` times."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    before = _minor_faults()
    for _ in range(rounds):
        allocated = [libc.malloc(size) for _ in range(blocks)]
        for block in allocated:
            ctypes.memset(block, 1, size)
        for block in reversed(allocated):
            libc.free(block)
    return _minor_faults() - before


@glibc_only
def test_freed_batch_memory_is_reused_instead_of_faulted_in_again():
    """By default every 70 MB batch is handed back to the kernel and faulted in again; after the
    call the first batch faults it in and the later ones reuse it."""
    blocks, size = 100, 700 << 10
    batch_pages = blocks * size // 4096
    assert keep_freed_memory_for_reuse()
    faults = _churn(5, blocks, size)
    assert faults < 2 * batch_pages  # one batch's pages (plus slack), not five
    release_free_memory()  # trimming on demand still works afterwards


def test_release_free_memory_runs_anywhere():
    release_free_memory()
