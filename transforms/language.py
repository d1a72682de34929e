"""Language identification with py3langid (a maintained, dependency-light fork of langid.py).

py3langid ships its model LZMA-compressed: decompressing it takes about 0.5 s, paid by every worker
process at start. The first load on a machine keeps the decompressed arrays in a cache folder
(NEWS_PIPELINE_CACHE, else $XDG_CACHE_HOME/news-pipeline, else ~/.cache/news-pipeline); later loads
map them in about 0.05 s. Any problem with the cache falls back to py3langid's own loader.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from array import array
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import numpy as np

LOG = logging.getLogger(__name__)
_ARRAYS = ("ptc", "pc", "classes", "nextmove", "row", "output")


def cache_root() -> Path:
    explicit = os.environ.get("NEWS_PIPELINE_CACHE")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "news-pipeline"


def _model_file() -> Path:
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    return Path(MODEL_DIR) / MODEL_FILE


def _cache_dir(model: Path) -> Path:
    """One folder per py3langid version, model file and layout, so an upgrade never reads stale arrays."""
    stat = model.stat()
    return cache_root() / f"py3langid-{version('py3langid')}-{stat.st_size}-{int(stat.st_mtime)}-f32"


def _save(folder: Path, model: tuple) -> None:
    """Written to a private folder, then renamed into place: two workers starting together never see
    half a cache, and the loser of the race just drops its copy."""
    ptc, pc, classes, nextmove, row, output = model
    tmp = None
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder.parent))
        arrays = (np.asarray(ptc, dtype=np.float32), np.asarray(pc), np.array(classes),
                  np.frombuffer(nextmove, dtype=nextmove.typecode), np.frombuffer(row, dtype=row.typecode),
                  np.asarray(output, dtype=np.int32))
        for name, arr in zip(_ARRAYS, arrays, strict=True):
            np.save(tmp / f"{name}.npy", arr, allow_pickle=False)
        tmp.rename(folder)
    except OSError as exc:
        LOG.info("language model not cached (%s): the next worker decompresses it again", exc)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _load(folder: Path) -> tuple:
    a = {name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in _ARRAYS}
    ptc = a["ptc"]
    if not (ptc.dtype == np.float32 and ptc.ndim == 2 and ptc.shape[1] == len(a["pc"]) == len(a["classes"])
            and len(a["row"]) == len(a["output"]) and a["nextmove"].size % 256 == 0):
        raise ValueError(f"{folder}: arrays do not fit together")
    # The DFA tables are walked one byte at a time from Python: stdlib arrays and lists index fastest.
    # np.asarray: a plain ndarray over the mapped pages (a memmap's own indexing adds ~80 us a call)
    return (np.asarray(ptc), np.array(a["pc"]), a["classes"].tolist(), _stdlib_array(a["nextmove"]),
            _stdlib_array(a["row"]), a["output"].tolist())


def _stdlib_array(arr: np.ndarray) -> array:
    out = array(arr.dtype.char)
    out.frombytes(memoryview(arr).cast("B"))
    return out


def load_model_arrays() -> tuple:
    """py3langid's model as (ptc, pc, classes, nextmove, row, output), from the cache when it is there."""
    from py3langid.modelio import load_model

    model_file = _model_file()
    try:
        folder = _cache_dir(model_file)
        if folder.is_dir():
            return _load(folder)
    except (OSError, ValueError) as exc:
        LOG.warning("language model cache unreadable, loading the packaged model: %s", exc)
        folder = None
    model = load_model(model_file)
    if folder is not None:
        _save(folder, model)
    return model


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import LanguageIdentifier

    ptc, pc, classes, nextmove, row, output = load_model_arrays()
    # py3langid ships the feature table as float16, which numpy multiplies without BLAS; as float32 the
    # scoring takes a third of the time and gives the same scores (float16 -> float32 is exact).
    ptc = np.asarray(ptc, dtype=np.float32)
    return LanguageIdentifier(ptc, pc, classes, nextmove, output, norm_probs=True, tk_row=row)


def detect_language(text: str, min_chars: int = 20) -> str | None:
    """ISO 639-1 code of the text's language, or None when the text is too short to tell."""
    sample = text[:1000]  # a paragraph or two is plenty for a confident guess; the cost grows with the length
    if len(sample.strip()) < min_chars:
        return None
    lang, prob = _identifier().classify(sample)
    return lang if prob >= 0.5 else None
