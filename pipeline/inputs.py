"""Listing input files: what a batch run reads, with the identity the ingest ledger keeps.

Each match becomes an InputFile with its canonical URI (absolute, normalised: the same file however the glob
spells it), size and version. Only regular files are inputs; a symlink (unless followed), named pipe, device
or socket is listed with the reason it is not read, so the run can give it an `errors` row without opening
it. Local listing needs no Beam import, so a mistyped glob is reported in a fraction of a second.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import stat

REGULAR = "file"


# -- listing ----------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class InputFile:
    """One matched path: `kind` is 'file' for a regular file, else why it is not read."""

    uri: str
    size: int
    version: str
    kind: str = REGULAR


def canonical_local(path: str) -> str:
    """The one spelling of a local file: absolute, normalised, its folder's symlinks resolved (not the file's)."""
    path = os.path.abspath(os.path.expanduser(path))
    return os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return REGULAR
    if stat.S_ISDIR(mode):
        return None  # a folder matched by a glob is not an input
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def _local_entry(path: str, follow_symlinks: bool) -> InputFile | None:
    uri = canonical_local(path)
    try:
        st = os.lstat(uri)
    except OSError as exc:
        return InputFile(uri, 0, "", f"not readable ({exc.strerror})")
    if stat.S_ISLNK(st.st_mode):
        if not follow_symlinks:
            return InputFile(uri, 0, str(st.st_mtime_ns), "symlink (not followed; --follow_symlinks reads it)")
        try:
            st = os.stat(uri)
        except OSError:
            return InputFile(uri, 0, "", "dangling symlink")
    kind = _kind(st.st_mode)
    if kind is None:
        return None
    return InputFile(uri, st.st_size if kind == REGULAR else 0, str(st.st_mtime_ns), kind)


def list_inputs(patterns: list[str], follow_symlinks: bool = False) -> tuple[list[InputFile], list[str]]:
    """(every distinct input file, in URI order; the patterns that matched nothing)."""
    found: dict[str, InputFile] = {}
    unmatched = []
    for pattern in patterns:
        n = 0
        if "://" in pattern:
            from apache_beam.io.filesystems import FileSystems

            for result in FileSystems.match([pattern]):
                for m in result.metadata_list:
                    found[m.path] = InputFile(m.path, m.size_in_bytes, repr(m.last_updated_in_seconds))
                    n += 1
        else:
            local = os.path.abspath(os.path.expanduser(pattern))
            for path in glob.glob(local, recursive=True) if glob.has_magic(local) else (
                    [local] if os.path.lexists(local) else []):
                entry = _local_entry(path, follow_symlinks)
                if entry is not None:
                    found[entry.uri] = entry
                    n += 1
        if not n:
            unmatched.append(pattern)
    return [found[k] for k in sorted(found)], unmatched
