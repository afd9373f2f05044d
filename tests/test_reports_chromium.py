"""Each report opens and renders in headless Chromium (Debian's ``chromium``) without console
errors, to a PNG that is not blank. `.ci/run` installs Chromium, so this test fails rather
than skips when the browser is missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pytest
from PIL import Image
from test_reports_support import add_fake_period_and_yearly_marts, build_fake_warehouse

from est_pipeline.reports.period import render_period_report
from est_pipeline.reports.weekly import render_weekly_report
from est_pipeline.reports.yearly import render_yearly_report

#: Console messages as Chromium logs them with --enable-logging=stderr (``INFO:CONSOLE:1]``
#: in Chromium 156, ``CONSOLE(1)`` in older builds) and uncaught exceptions.
CONSOLE_LINE = re.compile(r"CONSOLE[(:]|Uncaught")


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail(
            "Headless Chromium is needed to check that the reports render: install Debian's "
            "`chromium` package (`apt-get install -y chromium`; `.ci/run` installs it)."
        )
    return path


def screenshot(html_file: Path, png: Path, profile: Path, height: int = 2000) -> list[str]:
    """Render ``html_file`` to ``png``; returns the console lines Chromium logged."""
    result = subprocess.run(
        [
            _chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={profile}", f"--screenshot={png}",
            f"--window-size=1280,{height}", "--enable-logging=stderr", "--v=0",
            html_file.resolve().as_uri(),
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, f"chromium failed ({result.returncode}): {result.stderr[-2000:]}"
    assert png.exists(), f"chromium wrote no screenshot: {result.stderr[-2000:]}"
    return [line for line in result.stderr.splitlines() if CONSOLE_LINE.search(line)]


def _assert_not_blank(png: Path) -> None:
    with Image.open(png) as image:
        small = image.convert("RGB").resize((128, 200))
        colours = small.getcolors(maxcolors=128 * 200)
    assert colours is not None and len(colours) > 50, f"{png} looks blank"


def test_console_errors_are_detected(tmp_path: Path) -> None:
    """The check below can fail: a page with a script error is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>console.error('boom'); nope();</script></body></html>")
    lines = screenshot(bad, tmp_path / "bad.png", tmp_path / "profile", height=400)
    assert any("boom" in line for line in lines)
    assert any("Uncaught" in line for line in lines)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    base = tmp_path_factory.mktemp("chromium")
    warehouse = base / "warehouse.duckdb"
    build_fake_warehouse(warehouse, date(2021, 2, 15))
    add_fake_period_and_yearly_marts(warehouse)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return [
            render_weekly_report(con, date(2021, 2, 15), base / "reports").path,
            render_period_report(con, date(2021, 1, 1), base / "reports").path,
            render_yearly_report(con, date(2021, 1, 1), base / "reports").path,
        ]
    finally:
        con.close()


@pytest.mark.parametrize("which", [0, 1, 2], ids=["weekly", "period", "yearly"])
def test_report_renders_in_headless_chromium(rendered: list[Path], which: int, tmp_path: Path) -> None:
    html_file = rendered[which]
    text = html_file.read_text(encoding="utf-8")
    # Everything the page loads is inline: nothing for the browser to fetch and fail on.
    sources = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", text)
    assert all(s.startswith(("data:", "#")) for s in sources), [s[:40] for s in sources if not s.startswith(("data:", "#"))]
    png = tmp_path / f"{html_file.stem}.png"
    console = screenshot(html_file, png, tmp_path / "profile")
    assert console == [], console
    _assert_not_blank(png)
