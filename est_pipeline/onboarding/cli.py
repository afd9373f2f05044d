"""The command line: ``python -m est_pipeline.onboarding check [options]``."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from est_pipeline.settings import (
    ANALYSIS_PERIODS,
    REPO_ROOT,
    SETTINGS_FILE_NAME,
    Settings,
    SettingsError,
    get_settings,
    write_settings_file,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m est_pipeline.onboarding",
        description="Kontrollera en kommuns referensdata innan något läses in (EST).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser(
        "check",
        help="kontrollera referensdata i landningsmappen, föreslå första partitionen, skriv mallar",
        description="Läser landing/reference/ (och polisens DeSO-extrakt i landing/police_deso/) utan att läsa in "
                    "något, och säger vad som saknas eller inte stämmer. Slutkod 0 utan fel, 1 med fel.",
    )
    check.add_argument("--landing", type=Path, default=None,
                       help="landningsmappen (standard: $EST_DATA_DIR/landing)")
    check.add_argument("--write-templates", type=Path, default=None, metavar="MAPP",
                       help="skriv ifyllningsbara mallar (area_deso.csv, population.csv, deso_population.csv, "
                            "README.md) i MAPP (inte i landningsmappen)")
    check.add_argument("--write-settings", action="store_true",
                       help=f"skriv föreslagen partition_start och analysperiod till $EST_DATA_DIR/{SETTINGS_FILE_NAME}")
    check.add_argument("--analysis-period", choices=ANALYSIS_PERIODS, default=None,
                       help="analysperiod att föreslå och skriva (standard: den som gäller nu, annars quarter)")
    check.add_argument("--kommunkod", action="append", default=None, metavar="KOD",
                       help="kommunkod(er) installationen gäller, t.ex. 1880 (behövs bara för ett nationellt "
                            "polisextrakt utan area_deso.csv); kan upprepas")
    return parser


def _default_data_dir() -> Path:
    return Path(os.environ.get("EST_DATA_DIR", REPO_ROOT / "data")).resolve()


def run_check_command(args: argparse.Namespace) -> int:
    from est_pipeline.onboarding.check import run_check, settings_findings
    from est_pipeline.onboarding.report import render
    from est_pipeline.onboarding.templates import write_templates

    settings: Settings | None
    settings_error = None
    try:
        settings = get_settings()
    except SettingsError as exc:
        settings, settings_error = None, str(exc)
    landing = args.landing or (settings.landing_dir if settings else _default_data_dir() / "landing")
    kommunkod = {k.strip() for value in args.kommunkod or [] for k in value.split(",") if k.strip()} or None
    if settings is not None and args.analysis_period:
        settings = dataclasses.replace(settings, analysis_period=args.analysis_period)
    result = run_check(landing, settings, kommunkod=kommunkod, settings_error=settings_error,
                       analysis_period=args.analysis_period)
    written: list[str] = []
    if args.write_templates is not None:
        try:
            written += write_templates(result, args.write_templates, landing)
        except ValueError as exc:
            print(f"Mallarna skrevs inte: {exc}", file=sys.stderr)
            return 2
    wrote_settings = False
    if args.write_settings:
        if result.suggestion is None:
            written.append("Inställningarna skrevs inte: det finns ingen daterad data att föreslå första "
                           "partitionen från.")
        else:
            path = settings.settings_path if settings else _default_data_dir() / SETTINGS_FILE_NAME
            period = args.analysis_period or (settings.analysis_period if settings else "quarter")
            try:
                write_settings_file(path, {
                    "partition_start": result.suggestion.partition_start.isoformat(),
                    "analysis_period": period,
                }, comment=f"partition_start and analysis_period written by the onboarding check on "
                           f"{date.today()}: the first week of the data is {result.suggestion.first_week}.")
            except SettingsError as exc:
                written.append(f"Inställningarna skrevs inte: {exc}")
            else:
                wrote_settings = True
                written.append(f"{path}: partition_start = {result.suggestion.partition_start}, "
                               f"analysis_period = {period}")
                settings = get_settings()
                result.findings = [f for f in result.findings if f.code != "partition_start_mismatch"]
                result.findings += settings_findings(result.suggestion, settings)
    text = render(result, settings, written, wrote_templates=args.write_templates is not None,
                  wrote_settings=wrote_settings)
    sys.stdout.write(text)
    sys.stdout.flush()
    return result.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")  # type: ignore[union-attr]
    if args.command == "check":
        return run_check_command(args)
    return 2
