"""Days of a backfill: relative days, date placeholders in input patterns, the partition a run fills."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

RELATIVE_DAYS = {"today": 0, "yesterday": 1}
_PLACEHOLDER = re.compile(r"\{(date|yyyy|mm|dd)\}")


def parse_day(value: str, today: dt.date | None = None) -> dt.date:
    """YYYY-MM-DD, or 'yesterday'/'today' (UTC, resolved when the job is built: what a static schedule needs)."""
    if value in RELATIVE_DAYS:
        today = today or dt.datetime.now(dt.UTC).date()
        return today - dt.timedelta(days=RELATIVE_DAYS[value])
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not a date: {value!r} (expected YYYY-MM-DD, 'yesterday' or 'today')") from None


def day_range(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every day from start to end, both included."""
    if end < start:
        raise ValueError(f"--end {end} is before --start {start}")
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def has_placeholder(pattern: str) -> bool:
    return bool(_PLACEHOLDER.search(pattern))


def day_pattern(pattern: str, day: dt.date) -> str:
    """The pattern for one day. Only the date placeholders are replaced: glob braces such as
    `*.{json,jsonl}` pass through untouched (str.format would choke on them)."""
    values = {"date": day.isoformat(), "yyyy": f"{day.year:04d}", "mm": f"{day.month:02d}", "dd": f"{day.day:02d}"}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], pattern)


def resolve_partition(patterns: Sequence[str], partition_date: str | None,
                      today: dt.date | None = None) -> tuple[list[str], str | None]:
    """(patterns for the day, dt value) of a `run`; patterns unchanged and None when it is not a backfill."""
    if partition_date is None:
        if any(has_placeholder(p) for p in patterns):
            raise ValueError("--input has a date placeholder ({date}, {yyyy}, {mm}, {dd}): give --partition_date")
        return list(patterns), None
    day = parse_day(partition_date, today)
    return [day_pattern(p, day) for p in patterns], day.isoformat()


# -- launching days -----------------------------------------------------------------------------------------
