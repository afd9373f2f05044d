"""Render a report to one self-contained HTML file.

Partners open reports from e-mail, intranets and USB sticks, often without network; so the
HTML carries its CSS and images inline and links to nothing outside itself. ``write_report``
refuses to write a file that points anywhere on the network, so a template change that adds
a CDN link fails loudly instead of producing a report that breaks offline.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from pathlib import Path

import jinja2
from markupsafe import Markup

from est_pipeline.reports import vocabulary as vocab

#: ``http://…``, ``https://…`` anywhere, or a protocol-relative ``src="//…"`` / ``href="//…"``.
_EXTERNAL_URL = re.compile(r"""(?i)https?://[^\s"'<>)]*|(?:src|href)\s*=\s*["']?//[^\s"'<>]*""")


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(math.isnan(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value) in {"NaT", "<NA>"}


def fmt_number(value: object, decimals: int = 0) -> str:
    """Swedish style: ``1 234,5`` (non-breaking thin space for thousands, decimal comma)."""
    if _is_missing(value):
        return "–"
    if math.isinf(float(value)):  # type: ignore[arg-type]
        # An interval with no upper bound (a bootstrap with too few clusters) says so.
        return "∞" if float(value) > 0 else "−∞"  # type: ignore[arg-type]
    text = f"{float(value):,.{decimals}f}"  # type: ignore[arg-type]
    if text.lstrip("-").strip("0,.") == "":
        text = text.lstrip("-")  # -0,0 is 0
    return text.replace(",", "\u00a0").replace(".", ",").replace("-", "\u2212")


def fmt_count(value: object, decimals: int = 1) -> str:
    """A count: whole numbers as they are (``3``), a fractional count (police crimes spread
    over areas by population share) with one decimal (``2,4``)."""
    if _is_missing(value):
        return "–"
    number = float(value)  # type: ignore[arg-type]
    return fmt_number(number, 0 if number == round(number) else decimals)


def fmt_signed(value: object, decimals: int = 0) -> str:
    """A change, with its sign written out so that a fall is not read as a rise."""
    if _is_missing(value):
        return "–"
    number = float(value)  # type: ignore[arg-type]
    sign = "+" if number > 0 else ("−" if number < 0 else "±")
    return sign + fmt_number(abs(number), decimals)


def fmt_signed_count(value: object, decimals: int = 1) -> str:
    """A change in a count, sign written out; whole numbers without decimals."""
    if _is_missing(value):
        return "–"
    number = float(value)  # type: ignore[arg-type]
    return fmt_signed(number, 0 if number == round(number) else decimals)


def fmt_percent(value: object, decimals: int = 0) -> str:
    """A share 0–1 as ``42 %``."""
    if _is_missing(value):
        return "–"
    return fmt_number(float(value) * 100, decimals) + "\u00a0%"  # type: ignore[arg-type]


#: Probabilities below this are written as "<0,001": three decimals would show 0,000, which
#: reads as "impossible".
SMALLEST_PROBABILITY = 0.001


def fmt_probability(value: object, decimals: int = 3) -> str:
    """A probability or p-value: ``0,042``; below 0,001 ``<0,001`` (never ``0,000``)."""
    if _is_missing(value):
        return "–"
    number = float(value)  # type: ignore[arg-type]
    if number < SMALLEST_PROBABILITY:
        return "<" + fmt_number(SMALLEST_PROBABILITY, 3)
    return fmt_number(number, max(decimals, 3))


def fmt_sek(value: object, decimals: int = 0) -> str:
    """An amount in kronor: ``121 000``."""
    return fmt_number(value, decimals)


def fmt_date(value: object) -> str:
    if _is_missing(value):
        return "–"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10]


def raw_value(value: object) -> str:
    """The exact value behind a figure, for ``data-value`` (floats round-trip via repr)."""
    if _is_missing(value):
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return repr(value) if isinstance(value, float) else str(value)


def fmt_points(value: object, decimals: int = 1) -> str:
    """A difference of shares 0–1 in percentage points (procentenheter), ``−1,8``."""
    if _is_missing(value):
        return "–"
    return fmt_number(float(value) * 100, decimals)  # type: ignore[arg-type]


def fmt_signed_points(value: object, decimals: int = 1) -> str:
    """The same with its sign written out: ``+4,9``."""
    if _is_missing(value):
        return "–"
    return fmt_signed(float(value) * 100, decimals)  # type: ignore[arg-type]


_FORMATS = {
    "num": fmt_number, "count": fmt_count, "signed": fmt_signed, "signed_count": fmt_signed_count,
    "pct": fmt_percent, "prob": fmt_probability, "sek": fmt_sek,
    "points": fmt_points, "signed_points": fmt_signed_points,
}


def cell(value: object, mart: str, key: str, column: str, kind: str = "num", decimals: int = 0) -> Markup:
    """A figure tagged with the mart row and column it comes from.

    The tags let anyone (and the tests) check a report against the mart cell by cell.
    """
    text = _FORMATS[kind](value, decimals)
    return Markup(
        '<span class="fig" data-mart="{}" data-key="{}" data-col="{}" data-value="{}">{}</span>'
    ).format(mart, key, column, raw_value(value), text)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("est_pipeline.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,  # a missing figure is a bug, not a blank cell
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        num=fmt_number,
        count=fmt_count,
        signed=fmt_signed,
        pct=fmt_percent,
        prob=fmt_probability,
        datum=fmt_date,
        category_sv=vocab.category_sv,
        intervention_sv=vocab.intervention_type_sv,
        partners_sv=vocab.partners_sv,
        rating_sv=vocab.rating_sv,
        rating_colour=vocab.rating_colour,
        municipality=vocab.municipality_title,
    )
    env.tests["missing"] = _is_missing
    env.globals["cell"] = cell
    return env


def render(template: str, **context: object) -> str:
    return _environment().get_template(template).render(**context)


def external_references(html: str) -> list[str]:
    """Every network address the HTML points to (should be none)."""
    return _EXTERNAL_URL.findall(html)


def write_report(path: Path, html: str) -> Path:
    found = external_references(html)
    if found:
        raise ValueError(
            f"Report {path.name} would reference the network ({found[:3]}); reports must be "
            "self-contained"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)  # a partner never opens a half-written report
    return path
