"""Shared fixtures: the spaCy model (loaded once), the bundled samples, a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
KYIV = SAMPLES / "txt" / "kyiv-security-guarantees.txt"


@pytest.fixture(scope="session")
def nlp():
    from transforms.nlp_model import load_model

    return load_model()


@pytest.fixture(scope="session")
def kyiv_text() -> str:
    return KYIV.read_text(encoding="utf-8")


def run_cli(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run `python -m pipeline ...` as a user would, from the repo root."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="session")
def pubsub_emulator_host():
    """Google's Pub/Sub emulator on a free 127.0.0.1 port, PUBSUB_EMULATOR_HOST set; stopped at the end
    of the session whatever happens. Fails (does not skip) when the emulator is not installed: CI has it."""
    import contextlib

    from tests.emulator import EmulatorError, pubsub_emulator

    with contextlib.ExitStack() as stack:
        try:
            host = stack.enter_context(pubsub_emulator())
        except EmulatorError as exc:
            pytest.fail(f"the Pub/Sub emulator tests need Google's emulator: {exc}", pytrace=False)
        yield host
