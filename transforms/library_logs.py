"""Log records of the extraction libraries are demoted to DEBUG, so the console shows our own messages.

trafilatura logs at ERROR what is routine for us ("parsed tree length: 1, wrong data type or not valid
HTML" for a page it will not parse, which we then parse ourselves), and Beam's workers print every
WARNING and above. A filter on each of the libraries' loggers rewrites such records as DEBUG and lets
them through only where DEBUG is enabled for that logger (`logging.getLogger("trafilatura").setLevel(
logging.DEBUG)` brings them back). Filters apply to the logger a record is created on, not to its
parents, so every existing logger under the libraries' names gets one: call `demote_library_logs()`
after importing them.
"""

from __future__ import annotations

import logging

LIBRARIES = ("trafilatura", "htmldate", "courlan", "justext", "charset_normalizer", "readability")


class _AtDebug(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.DEBUG:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


_FILTER = _AtDebug()


def demote_library_logs(prefixes: tuple[str, ...] = LIBRARIES) -> None:
    """Attach the demoting filter to every logger named `prefix` or `prefix.*` (idempotent)."""
    names = [name for name in list(logging.Logger.manager.loggerDict)
             if any(name == p or name.startswith(p + ".") for p in prefixes)]
    for name in {*names, *prefixes}:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
