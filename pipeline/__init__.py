"""News ingestion pipeline: files or Pub/Sub in, articles, entities, quotes and errors out as Parquet."""

import functools
import hashlib
import pathlib

__version__ = "0.4.2"  # semver: bumped with every user-visible change


@functools.lru_cache(maxsize=1)
def pipeline_version() -> str:
    """`__version__+<digest of the code>`: the `pipeline_version` column, which tells two builds of one release
    apart (a row says exactly which extraction and quote rules made it)."""
    root = pathlib.Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for package in ("pipeline", "transforms"):
        for path in sorted((root / package).rglob("*")):
            if path.suffix in (".py", ".j2", ".json") and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:10]}"
