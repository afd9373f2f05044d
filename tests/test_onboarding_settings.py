"""The deployment settings file: written by the onboarding check from the data, read back by
get_settings() under the environment variables, and followed by the partition definitions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from est_pipeline.onboarding.cli import main
from est_pipeline.settings import SettingsError, get_settings, write_settings_file
from reference_support import write_clean_reference


@pytest.fixture
def no_rhythm_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("EST_PARTITION_START", "EST_ANALYSIS_PERIOD", "EST_TIMEZONE", "EST_SMALL_COUNT_THRESHOLD",
                 "EST_SURVEY_MIN_GROUP_SIZE"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_without_a_file(est_env: Path, no_rhythm_env: None) -> None:
    s = get_settings()
    assert (s.partition_start, s.analysis_period, s.timezone, s.small_count_threshold, s.survey_min_group_size) == (
        "2019-12-30", "quarter", "Europe/Stockholm", 3, 10)
    assert s.settings_path == est_env / "settings.toml" and s.source("partition_start") == "default"


def test_check_writes_settings_read_back_with_env_override(est_env: Path, no_rhythm_env: None,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture) -> None:
    write_clean_reference(est_env / "landing")
    assert main(["check", "--write-settings", "--analysis-period", "tertial"]) == 0
    out = capsys.readouterr().out
    assert f"{est_env / 'settings.toml'}: partition_start = 2023-03-06, analysis_period = tertial" in out
    # Written, so the mismatch is gone from this very report.
    assert "partition_start_mismatch" not in out and "I kraft nu: partition_start = 2023-03-06 (inställningsfilen)" in out
    text = (est_env / "settings.toml").read_text(encoding="utf-8")
    assert 'partition_start = "2023-03-06"' in text and 'analysis_period = "tertial"' in text
    s = get_settings()
    assert (s.partition_start, s.analysis_period) == ("2023-03-06", "tertial")
    assert (s.source("partition_start"), s.source("timezone")) == ("file", "default")
    # Other keys of the file survive a rewrite; environment variables win over the file.
    write_settings_file(s.settings_path, {"small_count_threshold": 5})
    monkeypatch.setenv("EST_PARTITION_START", "2024-01-01")
    s = get_settings()
    assert (s.partition_start, s.source("partition_start"), s.analysis_period, s.small_count_threshold) == (
        "2024-01-01", "env", "tertial", 5)


def test_bad_settings_are_refused_with_where_they_came_from(est_env: Path, no_rhythm_env: None,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture) -> None:
    path = est_env / "settings.toml"
    path.write_text('partition_start = "2023-03-07"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match=r"settings.toml: partition_start must be a Monday.*Tuesday"):
        get_settings()
    path.write_text("partition_start = 2023-03-06\nanalysis_periods = \"quarter\"\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="unknown setting.*analysis_periods"):
        get_settings()
    path.write_text("partition_start = 2023-03-06\n", encoding="utf-8")  # a TOML date works too
    assert get_settings().partition_start == "2023-03-06"
    monkeypatch.setenv("EST_SMALL_COUNT_THRESHOLD", "tre")
    with pytest.raises(SettingsError, match="EST_SMALL_COUNT_THRESHOLD: small_count_threshold must be a whole"):
        get_settings()
    # The check says so, as an error, and still checks the files.
    write_clean_reference(est_env / "landing")
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "[FEL] settings_invalid" in out and "EST_SMALL_COUNT_THRESHOLD" in out


def test_partitions_follow_the_settings_file(est_env: Path, no_rhythm_env: None) -> None:
    write_settings_file(est_env / "settings.toml", {"partition_start": "2023-03-06", "analysis_period": "tertial"})
    env = {k: v for k, v in os.environ.items() if not k.startswith("EST_") or k in ("EST_DATA_DIR",)}
    code = ("from est_pipeline.defs import partitions as p;"
            "print(p.weekly_partitions.get_first_partition_key(), p.analysis_period_partitions.get_first_partition_key(),"
            " p.yearly_partitions.get_first_partition_key())")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2023-03-06", "2023-01-01", "2023-01-01"]
