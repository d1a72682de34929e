"""Nothing taken from input data can place a file outside the output root."""

import pytest

from pipeline.batch_plan import checked_run_key
from pipeline.schemas import partition_of
from pipeline.sinks import partition_dir
from tests.conftest import run_cli


@pytest.mark.parametrize("value", ["../../etc", "2026-11-01/../../x", "2026-11-01\x00", "..", "/abs", ""])
def test_partition_values_must_be_dates(value):
    with pytest.raises((ValueError, TypeError)):
        partition_of({"dt": value})


def test_partition_dir_is_under_the_table():
    assert partition_dir("/out", "articles", partition_of({"dt": "2026-11-01"})) == "/out/articles/dt=2026-11-01"


@pytest.mark.parametrize("key", ["../x", "a/b", "", "x" * 65, "a b"])
def test_run_keys_cannot_leave_the_folder(key):
    with pytest.raises(ValueError):
        checked_run_key(key)


def test_cli_refuses_a_bad_run_key(tmp_path):
    src = tmp_path / "a.json"
    src.write_text('{"text": "The mayor spoke."}')
    result = run_cli("run", "--input", str(src), "--output", str(tmp_path / "o"), "--run_key", "../escape")
    assert result.returncode == 2 and "--run_key" in result.stderr
    assert not (tmp_path / "escape").exists()
