"""The check's result as text for the analyst, in Swedish, ending with what to do next."""

from __future__ import annotations

from est_pipeline.ingest.feeds.reference import REFERENCE_FEEDS
from est_pipeline.onboarding.check import SOURCE_SV, CheckResult
from est_pipeline.onboarding.findings import SEVERITY_SV, Finding
from est_pipeline.onboarding.period import PERIOD_SV
from est_pipeline.settings import Settings

#: table -> (what it is, when it is needed)
WHAT_SV = {
    "areas": "områdesgränser",
    "places": "platser",
    "addresses": "adressregister",
    "area_population": "folkmängd per område",
    "area_deso": "områden ↔ DeSO",
    "deso_population": "folkmängd per DeSO",
}


def _need(result: CheckResult, table: str) -> str:
    present = result.inventory.present
    if table in ("places", "addresses"):
        return "valfri"
    if table == "areas":
        return "valfri: områdena beskrivs i area_deso.csv" if result.area_source == "area_deso" else \
            "krävs (eller områden som DeSO-listor i area_deso.csv)"
    if table == "area_population":
        return "valfri: folkmängd per DeSO finns" if "deso_population" in present else \
            "krävs (eller deso_population.csv)"
    if table == "deso_population":
        return "valfri: folkmängd per område finns" if "area_population" in present else \
            "krävs (eller population.csv)"
    if table == "area_deso":
        if result.police_present:
            return "krävs: polisens brott är DeSO-kodade"
        if "deso_population" in present:
            return "krävs: folkmängden är per DeSO"
        return "valfri utan polisens DeSO-extrakt"
    return ""


def _inventory_lines(result: CheckResult) -> list[str]:
    lines = [f"Referensfiler i {result.inventory.folder}:"]
    for feed in REFERENCE_FEEDS:
        read = result.tables.get(feed.table)
        what = WHAT_SV[feed.table]
        if read is None:
            names = "/".join(n.split(".", 1)[1] for n in feed.file_names)
            label = f"{feed.file_names[0].split('.')[0]}.{names}" if len(feed.file_names) > 1 else feed.file_names[0]
            lines.append(f"  saknas  {label:<34} {what}; {_need(result, feed.table)}")
            continue
        if not read.ok:
            lines.append(f"  FEL     {read.path.name:<34} {what}: kan inte läsas ({read.rejected[0]})")  # type: ignore[index]
            continue
        bad = len({p.row_number for p in read.problems})
        extra = f", {bad} i karantän" if bad else ""
        notes = f" [{'; '.join(read.notes)}]" if read.notes else ""
        lines.append(f"  finns   {read.path.name:<34} {what}: {len(read.rows)} rader{extra}{notes}")
    if result.area_ids:
        source = "områdesfilen" if result.area_source == "boundaries" else "area_deso.csv (Områdesnamn)"
        lines.append(f"  Områden: {len(result.area_ids)} från {source}: "
                     f"{', '.join(result.area_ids[:10])}{' ...' if len(result.area_ids) > 10 else ''}")
    return lines


def _police_lines(result: CheckResult) -> list[str]:
    if not result.police:
        return ["Polisens DeSO-extrakt: inget i landing/police_deso/ (då behövs inte area_deso.csv för brotten)."]
    d = result.police_dates
    total = sum(result.police_deso_crimes.values()) + result.police_crimes_without_deso
    lines = [f"Polisens DeSO-extrakt: {d.files} {'fil' if d.files == 1 else 'filer'}, {d.rows} rader, {total} brott"
             + (f", {d.first} – {d.last}" if d.first else "") + "."]
    if result.police_repeated_rows:
        lines.append(f"  {result.police_repeated_rows} rader gäller brott som en senare fil levererar igen (samma Id): "
                     "varje brott räknas en gång, som i den senaste filen.")
    if result.police_deso_crimes:
        if result.municipalities:
            own = sum(n for k, n in result.police_deso_crimes.items() if k[:4] in result.municipalities)
            lines.append(f"  {own} brott i kommunens DeSO:er ({', '.join(sorted(result.municipalities))}), "
                         f"{total - own - result.police_crimes_without_deso} i andra kommuners.")
        linked = sum(n for k, n in result.police_deso_crimes.items() if k in result.linked_desos)
        if result.links:
            lines.append(f"  {linked} brott i DeSO:er som hör till ett område.")
    if result.police_crimes_without_deso:
        lines.append(f"  {result.police_crimes_without_deso} brott saknar DeSO-kod: de räknas som 'inte i något område'.")
    return lines


def _period_lines(result: CheckResult, settings: Settings | None) -> list[str]:
    s = result.suggestion
    lines = ["Dataperiod och partitioner:"]
    if s is None:
        lines.append("  Inga daterade rader: första partitionen kan inte föreslås.")
    else:
        period_label, period_start = s.first_period
        last_label, _ = s.last_period
        lines += [
            f"  Första data: {s.first_date} (i {s.first_source}), vecka {s.first_week}; sista: {s.last_date}, "
            f"vecka {s.last_week} ({s.weeks} veckor).",
            f"  Föreslagen första partition: partition_start = {s.partition_start} (måndag vecka {s.first_week}).",
            f"  Analysperiod: {PERIOD_SV[s.analysis_period]}; perioder {period_label} – {last_label} "
            f"(första perioden börjar {period_start}); första året {s.first_year}.",
        ]
    if settings is not None:
        lines.append(f"  I kraft nu: partition_start = {settings.partition_start} "
                     f"({SOURCE_SV[settings.source('partition_start')]}), analysperiod {PERIOD_SV[settings.analysis_period]} "
                     f"({SOURCE_SV[settings.source('analysis_period')]}); inställningsfil {settings.settings_path}.")
    return lines


def _finding_lines(f: Finding) -> list[str]:
    where = f" [{f.file}]" if f.file else ""
    lines = [f"  [{SEVERITY_SV[f.severity]}] {f.code}{where}", f"      {f.message}"]
    lines += [f"        - {d}" for d in f.details]
    return lines


def next_steps(result: CheckResult, wrote_templates: bool, wrote_settings: bool) -> list[str]:
    codes = set(result.codes)
    steps = []
    if result.errors:
        steps.append("Rätta felen ovan (koden och meddelandet säger vad som är fel och var) och kör kontrollen "
                     "igen: make onboard")
    template_codes = {"area_deso_missing", "population_missing", "area_without_deso", "area_without_population",
                      "unlinked_municipal_deso", "population_years_missing", "areas_missing"}
    if codes & template_codes and not wrote_templates:
        steps.append("Skapa ifyllningsbara mallar (area_deso.csv, population.csv, deso_population.csv) med "
                     "områdena och DeSO-koderna förifyllda: python -m est_pipeline.onboarding check "
                     "--write-templates mallar/ ; fyll i dem och lägg dem i landing/reference/.")
    if wrote_templates:
        steps.append("Fyll i mallarna (läs README.md i mallmappen) och lägg dem i landing/reference/.")
    if "partition_start_mismatch" in codes and not wrote_settings:
        steps.append("Använd den föreslagna första partitionen: python -m est_pipeline.onboarding check "
                     "--write-settings")
    if wrote_settings:
        steps.append("Inställningarna är skrivna: starta om Dagster (make dev) så att partitionerna följer dem.")
    if not result.errors:
        steps.append("Referensdata är klara. Kör hela pipelinen på datan: make run (eller öppna Dagster med "
                     "make dev och materialisera ingest-tillgångarna, sedan veckopartitionerna från första "
                     "partitionen).")
        if result.warnings:
            steps.insert(0, "Läs varningarna: pipelinen går att köra, men de säger vad som räknas annorlunda "
                            "än ni kanske tror.")
    return [f"  {i}. {s}" for i, s in enumerate(steps, start=1)]


def render(result: CheckResult, settings: Settings | None, written: list[str] | None = None,
           wrote_templates: bool = False, wrote_settings: bool = False) -> str:
    lines = ["EST: kontroll av referensdata inför första körningen", f"Landningsmapp: {result.landing}", ""]
    lines += _inventory_lines(result) + [""]
    lines += _police_lines(result) + [""]
    lines += _period_lines(result, settings) + [""]
    if result.errors:
        lines.append(f"Fel ({len(result.errors)}): måste rättas före första körningen")
        for f in result.errors:
            lines += _finding_lines(f)
        lines.append("")
    if result.warnings:
        lines.append(f"Varningar ({len(result.warnings)}): pipelinen kan köras, men läs dem")
        for f in result.warnings:
            lines += _finding_lines(f)
        lines.append("")
    if not result.findings:
        lines += ["Inga fel och inga varningar.", ""]
    if written:
        lines.append("Skrivet:")
        lines += [f"  {w}" for w in written]
        lines.append("")
    n_warn = len(result.warnings)
    lines.append(f"Resultat: {len(result.errors)} fel, {n_warn} {'varning' if n_warn == 1 else 'varningar'} "
                 f"(slutkod {result.exit_code}).")
    lines.append("")
    lines.append("Nästa steg:")
    lines += next_steps(result, wrote_templates, wrote_settings)
    return "\n".join(lines) + "\n"
