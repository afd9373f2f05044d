"""Each report opens and renders in headless Chromium (Debian's ``chromium``) without console
errors, to a PNG that is not blank. `.ci/run` installs Chromium, so this test fails rather
than skips when the browser is missing.
"""

from __future__ import annotations

import json
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


#: Measures, in the browser, every element of the report that sticks out of the page's text
#: column or whose content is wider than its table cell. Added to a copy of the report only
#: (the reports themselves carry no JavaScript); the result is written into the DOM, which
#: Chromium prints with --dump-dom.
OVERFLOW_PROBE = """
<script>
window.addEventListener('load', () => {
  const main = document.querySelector('main');
  const style = getComputedStyle(main);
  const box = main.getBoundingClientRect();
  const left = box.left + parseFloat(style.paddingLeft) - 1;
  const right = box.right - parseFloat(style.paddingRight) + 1;
  const bad = [];
  const name = (el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') +
    ' "' + (el.textContent || '').trim().slice(0, 40) + '"';
  for (const el of main.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > right || r.left < left) bad.push('outside the column: ' + name(el) + ' ' + Math.round(r.right));
    if ((el.tagName === 'TD' || el.tagName === 'TH') && el.scrollWidth > el.clientWidth + 1)
      bad.push('wider than its cell: ' + name(el));
  }
  const page = document.documentElement.scrollWidth > document.documentElement.clientWidth;
  const out = document.createElement('pre');
  out.id = 'overflow-result';
  out.textContent = JSON.stringify({page: page, bad: bad});
  document.body.appendChild(out);
});
</script>
"""


def overflow(html_file: Path, width: int, profile: Path) -> dict:
    """What sticks out when the report is shown ``width`` pixels wide."""
    probe = html_file.with_name(html_file.stem + f"_probe{width}.html")
    probe.write_text(html_file.read_text(encoding="utf-8").replace("</body>", OVERFLOW_PROBE + "</body>"),
                     encoding="utf-8")
    result = subprocess.run(
        [
            _chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", f"--window-size={width},2000", "--virtual-time-budget=10000",
            "--dump-dom", probe.resolve().as_uri(),
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )
    probe.unlink()
    match = re.search(r'<pre id="overflow-result">(.*?)</pre>', result.stdout, re.S)
    assert match, f"the probe did not run: {result.stderr[-1500:]}"
    return json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def test_overflow_probe_catches_what_sticks_out(tmp_path: Path) -> None:
    """The measurement can fail: an unbreakable row of links is caught."""
    page = tmp_path / "wide.html"
    links = "".join(f'<a href="#a{i}">Område{i}</a>' for i in range(60))
    page.write_text(f"<html><body><main style='max-width:600px;padding:0 20px'><nav>{links}</nav>"
                    "<table><tr><td style='max-width:40px'><span style='white-space:nowrap'>"
                    "Ungdomsgrupperingar</span></td></tr></table></main></body></html>", encoding="utf-8")
    found = overflow(page, 1000, tmp_path / "profile")
    assert any(b.startswith('outside the column: a "Område') for b in found["bad"]), found


@pytest.mark.parametrize("width", [1000, 1200, 1400])
@pytest.mark.parametrize("which", [0, 1, 2], ids=["weekly", "period", "yearly"])
def test_nothing_overflows_between_1000_and_1400_px(
    rendered: list[Path], which: int, width: int, tmp_path: Path
) -> None:
    found = overflow(rendered[which], width, tmp_path / "profile")
    assert not found["page"] and found["bad"] == [], found
