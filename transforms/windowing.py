"""Run a step in the global window and give its output the input's windowing back.

For steps that must not see (or be cut by) the stream's event-time windows:
- Beam 2.77's Python Reshuffle groups in the elements' own windows with zero allowed lateness, so
  on the BundleBasedDirectRunner it silently drops every late row of a windowed stream;
- per-key dedup state must span windows (a redelivery may land in another window).
Timestamps are kept, so re-applying the window fn puts every element back in its window. On a
bounded or globally windowed input these are plain pass-throughs.
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.transforms.core import Windowing
from apache_beam.transforms.window import GlobalWindows


def restore_windowing(windowing: Windowing) -> beam.WindowInto:
    """A WindowInto that re-applies a PCollection's windowing (window fn, trigger, lateness, mode)."""
    return beam.WindowInto(
        windowing.windowfn, trigger=windowing.triggerfn, accumulation_mode=windowing.accumulation_mode,
        timestamp_combiner=windowing.timestamp_combiner, allowed_lateness=windowing.allowed_lateness)


def needs_global_window(pcoll: beam.PCollection) -> bool:
    return not pcoll.windowing.is_default()


class InGlobalWindow(beam.PTransform):
    """pcoll | InGlobalWindow(step): step runs in the global window; its output gets pcoll's windowing."""

    def __init__(self, step: beam.PTransform):
        super().__init__()
        self.step = step

    def expand(self, pcoll):
        if not needs_global_window(pcoll):
            return pcoll | "Step" >> self.step
        return (
            pcoll
            | "Global window" >> beam.WindowInto(GlobalWindows())
            | "Step" >> self.step
            | "Restore windows" >> restore_windowing(pcoll.windowing)
        )
