"""The reports read as finished Swedish documents: Swedish numbers and terms, every statistic
explained, probabilities that never read 0,000, whole-number axes for counts, map numbers that
never overlap, suggestions only where need warrants them, each with a reason that adds
something, and costs that say when they were not reported.

Reports are rendered from the hand-built marts of ``test_reports_support`` (seconds); the
real chain is in ``test_reports_chain*.py``, the browser checks in ``test_reports_chromium.py``.
"""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from test_reports_support import add_fake_period_and_yearly_marts, build_fake_warehouse, figures

from est_pipeline.reports import charts, html, maps
from est_pipeline.reports.period import render_period_report, suggestion_reason
from est_pipeline.reports.vocabulary import municipality_title
from est_pipeline.reports.weekly import render_weekly_report
from est_pipeline.reports.yearly import render_yearly_report

WEEK = date(2021, 2, 15)


class _Text(HTMLParser):
    """The text a reader sees, outside the footnotes (where English method names belong)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0
        self._depth: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        skip = tag in ("style", "script", "title", "sup") or "footnotes" in classes
        if tag in ("br", "img", "meta", "hr", "input"):
            return
        self._depth.append(skip)
        self._skip += skip

    def handle_endtag(self, tag: str) -> None:
        if tag in ("br", "img", "meta", "hr", "input") or not self._depth:
            return
        self._skip -= self._depth.pop()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(text: str) -> str:
    parser = _Text()
    parser.feed(text)
    return " ".join(" ".join(parser.parts).split())


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("language")
    warehouse = base / "warehouse.duckdb"
    build_fake_warehouse(warehouse, WEEK)
    add_fake_period_and_yearly_marts(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        # A flagged row far beyond its baseline: its probability is tiny.
        con.execute("update marts.weekly_situation set exceedance_probability = 0.00004, "
                    "is_unusually_high = true where area_id = 'NV01' and category = 'vandalism' "
                    "and week_start = ?", [WEEK])
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {
            "weekly": render_weekly_report(con, WEEK, base / "r").path.read_text(encoding="utf-8"),
            "period": render_period_report(con, date(2021, 1, 1), base / "r").path.read_text(encoding="utf-8"),
            "yearly": render_yearly_report(con, date(2021, 1, 1), base / "r").path.read_text(encoding="utf-8"),
        }
    finally:
        con.close()


@pytest.mark.parametrize(
    ("name", "code", "title"),
    [
        ("Norrvik kommun", "9001", "Norrviks kommun"),  # the demo's fictional municipality
        ("Norrvik", None, "Norrviks kommun"),
        ("Örebro", None, "Örebro kommun"),  # ends in a vowel
        ("Borås", "1490", "Borås stad"),  # official name from the seed
        ("Fiktivås", None, "Fiktivås kommun"),  # ends in s
        ("Kalmar", None, "Kalmar kommun"),
        ("Orust", None, "Orust kommun"),
        ("Falun", None, "Falu kommun"),
        ("Stockholm", "0180", "Stockholms stad"),
        ("Sjöbacka", None, "Sjöbacka kommun"),
    ],
)
def test_municipality_names_follow_swedish_grammar(name: str, code: str | None, title: str) -> None:
    assert municipality_title(name, code) == title


def test_every_report_names_the_municipality_in_the_genitive(reports: dict[str, str]) -> None:
    for text in reports.values():
        assert "Norrviks kommun" in text and "Norrvik kommun" not in text


def test_probabilities_below_a_thousandth_never_read_zero(reports: dict[str, str]) -> None:
    assert html.fmt_probability(0.00004) == "<0,001"
    assert html.fmt_probability(0.0421) == "0,042"
    text = visible_text(reports["weekly"])
    assert "<0,001" in text
    shown = [f for f in figures(reports["weekly"]) if f["col"] == "exceedance_probability"]
    assert shown and not [f for f in shown if re.fullmatch(r"0,0+", f["text"])], "a probability shown as 0,000"
    assert {f["text"] for f in shown if f["value"] == "4e-05"} == {"<0,001"}
    q_values = [f for f in figures(reports["yearly"]) if f["col"] == "q_value"]
    assert q_values and not [f for f in q_values if re.fullmatch(r"0,0+", f["text"])]


@pytest.mark.parametrize("which", ["weekly", "period", "yearly"])
def test_numbers_and_terms_in_the_text_are_swedish(reports: dict[str, str], which: str) -> None:
    text = visible_text(reports[which])
    decimal_points = re.findall(r"(?<![\w.\-/])\d+\.\d+(?![\w.\-])", text)
    assert decimal_points == [], decimal_points
    for english in ("TWFE", "IRR", "Hot spot", "hot spot", "p=", "p =", "robust_imputation",
                    "poisson_twfe", "estimate", "Robust skattning"):
        assert english not in text, english


def test_every_statistic_is_explained(reports: dict[str, str]) -> None:
    weekly = visible_text(reports["weekly"])
    for sentence in ("Sannolikhet är hur troligt", "Baslinje är områdets genomsnitt",
                     "Otrygghetsindex (0–100) väger samman"):
        assert sentence in weekly, sentence
    period = visible_text(reports["period"])
    for sentence in ("Behov väger samman", "Påverkansmöjlighet beskriver", "per 1 000 inv. är",
                     "Fler än väntat är"):
        assert sentence in period, sentence
    yearly = visible_text(reports["yearly"])
    for sentence in ("Kvoten jämför", "95 % intervall visar osäkerheten", "q-värdet säger",
                     "Huvudresultat är alltid den robusta modellen när den kan skattas",
                     "Per 1 000 invånare är"):
        assert sentence in yearly, sentence
    # The English method names are in the footnotes, not in the text.
    assert "two-way fixed effects" in reports["yearly"] and "emerging hot spot analysis" in reports["period"]


def test_every_headline_says_why_in_the_words_of_the_rule(reports: dict[str, str]) -> None:
    text = visible_text(reports["yearly"])
    assert "(huvudresultat)" not in text
    # The fake marts mark the robust model as headline: the text says why, in the rule's words.
    assert "Huvudresultat: den robusta modellen, som gäller även när effekten" in text


def test_costs_say_when_they_were_not_reported(reports: dict[str, str]) -> None:
    first_table = reports["yearly"].split("Trygghetsmätningen")[0]
    rows = {m.group(1): m.group(2) for m in re.finditer(
        r"<tr><td>(Centrum|Björkhagen|Åsen)</td>(.*?)</tr>", first_table, re.S)}
    assert "ej rapporterad" in rows["Björkhagen"]  # started one, with no cost in the register
    assert "ej rapporterad" not in rows["Centrum"] and 'data-col="intervention_cost_sek"' in rows["Centrum"]
    assert 'data-col="intervention_cost_sek"' not in rows["Åsen"]  # nothing started (invalid row)


def test_suggestions_only_where_need_warrants_them_with_reasons(reports: dict[str, str], tmp_path: Path) -> None:
    text = reports["period"]
    section = text.split("Föreslagna insatser per ansvarig samverkanspart")[1]
    rank_rows = re.findall(r"<tr><td class=\"n\">.*?</tr>", text.split("Rangordnade områden")[1].split("</table>")[0], re.S)
    high = {re.search(r"</td><td>([^<]+)</td>", r).group(1) for r in rank_rows if "Stort behov" in r}
    low = {re.search(r"</td><td>([^<]+)</td>", r).group(1) for r in rank_rows if "Litet behov" in r}
    assert high and low, "the fake period has both"
    suggested = set(re.findall(r"<tr><td>([^<]+)</td><td>", section))
    assert suggested == high
    # Every table header has a name.
    assert "<th></th>" not in text
    # A reason adds something: the figures, and the seed's rationale only when it is more than
    # the intervention's name.
    reasons = re.findall(r"<td>(\d[^<]*händelser med[^<]*)</td>", section)
    assert reasons and all("fler än kommunens nivå ger" in r for r in reasons)
    assert not any(r.rstrip(".").endswith("Polisiär närvaro") for r in reasons)
    assert any(r.endswith("Snabb klottersanering inom 24 timmar.") for r in reasons)


def test_a_reason_never_repeats_the_interventions_name() -> None:
    row = {"category": "vandalism", "intervention_type": "police_patrol", "events": 9.0,
           "excess_events": 2.4, "rationale_sv": "Polisiär närvaro"}
    reason = suggestion_reason(row, {"need_share": 0.2}, "kvartalet")
    assert reason == "9 händelser med skadegörelse under kvartalet, 2,4 fler än kommunens nivå ger, 20\u00a0% av områdets händelser."


def test_count_axes_have_whole_number_ticks() -> None:
    fig = charts.weekly_trend_figure([f"2021-W{w:02d}" for w in range(1, 27)],
                                     [0, 1, 2, 3, 1, 0] * 4 + [2, 3], [None] * 4 + [1.2] * 22,
                                     [False] * 26, "test")
    fig.canvas.draw()
    ticks = fig.axes[0].get_yticks()
    shown = [t for t in ticks if fig.axes[0].get_ylim()[0] <= t <= fig.axes[0].get_ylim()[1]]
    assert len(shown) >= 2 and all(float(t).is_integer() for t in shown), shown


def test_map_numbers_are_legible_and_never_overlap() -> None:
    def square(x: float, y: float, size: float) -> str:
        return f"POLYGON(({x} {y},{x + size} {y},{x + size} {y + size},{x} {y + size},{x} {y}))"

    # Twelve places packed into a corner of a large area: their numbers cannot all sit on them.
    places = [maps.MapPlace(f"P{i}", f"Plats {i}", square(500000 + (i % 4) * 22, 6600000 + (i // 4) * 22, 20),
                            i % 3 + 1) for i in range(12)]
    fig = maps.area_map_figure(square(499700, 6599700, 800), places, [], "Trångt")
    boxes = maps.label_boxes(fig)
    assert sorted(int(t) for t, _, _ in boxes) == list(range(1, 13))
    assert all(size >= 9 for _, _, size in boxes)
    overlapping = [(a, b) for i, (a, box_a, _) in enumerate(boxes) for b, box_b, _ in boxes[i + 1:]
                   if box_a.overlaps(box_b)]
    assert overlapping == []
    frame = fig.bbox
    assert all(frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
               for _, box, _ in boxes)


def test_map_legend_lists_every_numbered_place(reports: dict[str, str]) -> None:
    legends = re.findall(r'<ol class="map-legend">(.*?)</ol>', reports["weekly"], re.S)
    assert legends
    for legend in legends:
        numbers = [int(n) for n in re.findall(r'<li value="(\d+)">', legend)]
        assert numbers == list(range(1, len(numbers) + 1))


def test_matrix_labels_never_overlap_each_other_or_the_points() -> None:
    """Fourteen areas, several close together (the demo's 2022-Q4)."""
    names = ["Västerstaden", "Sjöängen", "Sjöstaden", "Grantorp", "Solstaden", "Lärkängen", "Ängberga",
             "Norrbacken", "Norrnäset", "Aspnäset", "Norrviken", "Tallstaden", "Molunden", "Norrtorp"]
    need = [3.11, 1.51, 1.43, 1.11, 1.08, 1.01, 0.91, 0.67, 0.66, 0.62, 0.55, 0.51, 0.49, 0.42]
    influence = [0.83, 0.77, 0.77, 0.74, 0.89, 0.76, 0.72, 0.76, 0.87, 0.80, 0.86, 0.73, 0.51, 0.59]
    fig = charts.need_influence_figure(names, need, influence, list(range(1, 15)), 1.0, 0.5,
                                       [n >= 1 for n in need])
    boxes = charts.label_boxes(fig, charts.MATRIX_LABEL_GID)
    assert len(boxes) == 14 and all(size >= 8 for _, _, size in boxes)
    assert [(a, b) for i, (a, box_a, _) in enumerate(boxes) for b, box_b, _ in boxes[i + 1:]
            if box_a.overlaps(box_b)] == []
    ax = fig.axes[0]
    points = [ax.transData.transform(p) for p in zip(influence, need)]
    covered = [(t, i) for t, box, _ in boxes for i, (x, y) in enumerate(points)
               if box.x0 < x < box.x1 and box.y0 < y < box.y1]
    assert covered == []
