"""The onboarding check: is the reference set complete and consistent, before anything runs?

It reads ``landing/reference/`` (and the police DeSO extract in ``landing/police_deso/``,
and the dates of the other feeds) with the ingest's own parsers, and reports, per
finding, a stable English code, a severity and a Swedish message that says what to do.
Nothing is written to the warehouse.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from est_pipeline.ingest.partner_docs import ERRORS_SV
from est_pipeline.ingest.quarantine import reason_text
from est_pipeline.onboarding.findings import ERROR, WARNING, Finding, examples, rule
from est_pipeline.onboarding.period import PeriodSuggestion, iso_week_label
from est_pipeline.onboarding.reading import (
    FeedDates,
    ReferenceInventory,
    TableRead,
    other_feed_dates,
    police_extract,
    read_reference,
    reference_inventory,
)
from est_pipeline.settings import Settings

#: Shares of one DeSO split between areas must sum to 1 within this.
SHARE_TOLERANCE = 0.01
#: Two areas overlap when they share more than this many square metres (not just a border).
OVERLAP_M2 = 1.0
GIS_NAMES = "areas.geojson, areas.gpkg, areas.shp (med .shx, .dbf, .prj och .cpg) eller areas.zip"


def norm_id(text: Any) -> str:
    """Ids compare as dbt compares them: trimmed, upper case."""
    return " ".join(str(text).split()).upper()


def pl(n: int, one: str, many: str) -> str:
    """``1 område`` / ``3 områden``."""
    return f"{n} {one if n == 1 else many}"


def fmt_share(value: float | None) -> str:
    return "tom (1)" if value is None else f"{value:g}".replace(".", ",")


@dataclass(frozen=True)
class Link:
    row: int
    area_id: str
    deso: str
    share: float | None
    name: str | None

    @property
    def weight(self) -> float:
        return 1.0 if self.share is None else self.share


@dataclass
class CheckResult:
    landing: Path
    inventory: ReferenceInventory
    tables: dict[str, TableRead]
    police: list[TableRead]
    police_dates: FeedDates
    other_dates: list[FeedDates]
    findings: list[Finding] = field(default_factory=list)
    suggestion: PeriodSuggestion | None = None
    #: The areas of the deployment, in file order, and where they come from.
    area_ids: list[str] = field(default_factory=list)
    area_names: dict[str, str] = field(default_factory=dict)
    area_source: str | None = None  # "boundaries" | "area_deso" | None
    links: list[Link] = field(default_factory=list)
    #: Municipality codes of the deployment (first four digits of its DeSO codes).
    municipalities: set[str] = field(default_factory=set)
    #: DeSO code -> crimes in the police extract (the Antal column summed).
    police_deso_crimes: dict[str, int] = field(default_factory=dict)
    police_crimes_without_deso: int = 0
    #: Rows whose ``Id`` a later file repeats (counted once, as the latest delivery).
    police_repeated_rows: int = 0
    #: area id -> year -> population, from population.csv
    area_population: dict[str, dict[int, int]] = field(default_factory=dict)
    #: DeSO -> year -> population, from deso_population.csv
    deso_population: dict[str, dict[int, int]] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    @property
    def police_present(self) -> bool:
        return bool(self.police)

    @property
    def linked_desos(self) -> set[str]:
        return {link.deso for link in self.links}

    def table_ok(self, table: str) -> bool:
        read = self.tables.get(table)
        return read is not None and read.ok


def _file_findings(read: TableRead, severity_rows: str = ERROR) -> list[Finding]:
    """What the ingest would refuse or quarantine in this file, with the ingest's codes."""
    if read.rejected:
        code, message = read.rejected
        return [Finding(code, ERROR, f"{message}. Filen läses inte in alls.", read.name)]
    out = []
    by_code: dict[str, list[Any]] = defaultdict(list)
    for p in read.problems:
        by_code[p.reason_code].append(p)
    for code, problems in by_code.items():
        rows = len({p.row_number for p in problems})
        meaning = ERRORS_SV.get(code, ("", "", ""))[1]
        out.append(Finding(
            code, severity_rows,
            f"{rows} av {read.rows_in} rader i {read.name} läggs i karantän och läses inte in. {meaning}".strip(),
            read.name,
            examples([reason_text(read.path.name, p.row_number, p.column, p.reason) for p in problems]),
        ))
    return out


def _inventory_findings(inv: ReferenceInventory, landing: Path) -> list[Finding]:
    out = []
    if not inv.exists:
        out.append(rule("reference_folder_missing",
                        f"Mappen {inv.folder} finns inte. Skapa den och lägg kommunens referensfiler där "
                        f"(områden, area_deso.csv, folkmängd)."))
        return out
    from est_pipeline.ingest.feeds.reference import REFERENCE_FILE_NAMES

    for path in inv.unknown:
        rel = path.relative_to(inv.folder).as_posix()
        hint = next((f" Döp om den till '{n}'." for n in REFERENCE_FILE_NAMES if n.lower() == rel.lower()), "")
        out.append(rule("unknown_reference_file",
                        f"Filen '{rel}' har inget av de namn referensdata tas emot under och kommer att avvisas."
                        f"{hint} Godkända namn: {', '.join(REFERENCE_FILE_NAMES)}.",
                        file=path.relative_to(landing).as_posix()))
    for path in inv.orphans:
        suffix = path.name[path.name.rfind("."):]
        stem = path.name[: -len(suffix)] if not path.name.lower().endswith(".shp.xml") else path.name[:-8]
        out.append(rule("incomplete_shapefile",
                        f"'{path.name}' är en del av en shapefil, men {stem}.shp saknas i samma mapp. Lägg alla "
                        f"delar (.shp, .shx, .dbf, .prj, .cpg) med samma namn tillsammans, eller ta bort filen.",
                        file=path.relative_to(landing).as_posix()))
    for table, files in inv.present.items():
        if len(files) > 1:
            names = ", ".join(p.name for p in files)
            out.append(rule("multiple_files_for_table",
                            f"{names} fyller samma tabell (raw.{table}). Den som kom in sist, {files[-1].name}, "
                            f"används och ersätter de andra. Ta bort de filer som inte ska användas.",
                            file=files[-1].relative_to(landing).as_posix()))
    return out


def _geometry_findings(result: CheckResult, read: TableRead) -> None:
    import shapely
    from shapely.validation import explain_validity

    ids = [norm_id(r["area_id"]) for r in read.rows]
    geoms = shapely.from_wkt([r["geometry_wkt"] for r in read.rows])
    invalid = [f"område {i} (objekt {n}): {explain_validity(g)}"
               for i, n, g in zip(ids, read.row_numbers, geoms) if not g.is_valid]
    if invalid:
        result.findings.append(rule(
            "invalid_polygon",
            f"{pl(len(invalid), 'område', 'områden')} i {read.path.name} har ogiltiga polygoner (t.ex. en kant som korsar sig "
            f"själv). De repareras när händelser placeras i områden, men rätta dem i GIS-programmet "
            f"(i QGIS: 'Fix geometries' / 'Reparera geometrier') så att gränsen blir den ni menar.",
            read.name, examples(invalid)))
    valid = [g if g.is_valid else shapely.make_valid(g) for g in geoms]
    tree = shapely.STRtree(valid)
    overlaps = []
    for i, g in enumerate(valid):
        for j in tree.query(g, predicate="intersects"):
            if j <= i:
                continue
            shared = g.intersection(valid[j]).area
            if shared > OVERLAP_M2:
                smaller = min(g.area, valid[j].area) or 1.0
                overlaps.append(f"{ids[i]} och {ids[j]}: {shared:,.0f} m² ({shared / smaller:.1%} av det "
                                f"mindre området)".replace(",", " "))
    if overlaps:
        result.findings.append(rule(
            "overlapping_areas",
            f"{pl(len(overlaps), 'par', 'par')} av områden överlappar. En händelse i överlappet räknas bara i ett av dem (det "
            f"minsta). Rätta gränserna om områdena inte ska överlappa.",
            read.name, examples(overlaps)))


def _areas(result: CheckResult) -> None:
    read = result.tables.get("areas")
    boundary_ids: list[str] = []
    if read is not None and read.ok and read.rows:
        counts = Counter(norm_id(r["area_id"]) for r in read.rows)
        dups = [f"{i} ({n} objekt)" for i, n in counts.items() if n > 1]
        if dups:
            result.findings.append(rule(
                "duplicate_area_id",
                f"Samma områdes-ID förekommer på flera objekt i {read.path.name}. Varje område ska vara ett objekt "
                f"(slå ihop delarna till en MultiPolygon i GIS-programmet).", read.name, examples(dups)))
        for r in read.rows:
            area_id = norm_id(r["area_id"])
            if area_id not in result.area_names:
                boundary_ids.append(area_id)
                result.area_names[area_id] = str(r["area_name"])
        _geometry_findings(result, read)
    links = result.links
    list_names: dict[str, set[str]] = defaultdict(set)
    for link in links:
        if link.name:
            list_names[link.area_id].add(link.name)
    if boundary_ids:
        result.area_ids, result.area_source = boundary_ids, "boundaries"
    elif list_names:
        result.area_source = "area_deso"
        seen: list[str] = []
        for link in links:
            if link.area_id not in seen:
                seen.append(link.area_id)
        result.area_ids = seen
        for area_id in seen:
            names = sorted(list_names.get(area_id, set()))
            result.area_names[area_id] = names[0] if names else area_id
    else:
        why = ""
        if read is not None and not read.ok:
            why = f" {read.path.name} kan inte läsas (se felet ovan)."
        elif "area_deso" in result.tables and result.table_ok("area_deso"):
            why = " area_deso.csv har ingen kolumn Områdesnamn, så den beskriver inga områden."
        result.findings.append(rule(
            "areas_missing",
            f"Det finns inga områden.{why} Lägg områdesgränserna i reference/ som {GIS_NAMES}, i SWEREF 99 TM "
            f"eller WGS84. Har kommunen inga gränser: beskriv varje område som en lista av DeSO:er i "
            f"area_deso.csv med kolumnerna Områdes-ID;DeSO;Andel;Områdesnamn."))
    conflicts = [f"{a}: {', '.join(sorted(n))}" for a, n in list_names.items() if len(n) > 1]
    if result.area_source == "boundaries":
        conflicts += [f"{a}: '{result.area_names[a]}' i områdesfilen, '{next(iter(n))}' i area_deso.csv"
                      for a, n in list_names.items()
                      if len(n) == 1 and a in result.area_names and next(iter(n)).casefold() != result.area_names[a].casefold()]
    if conflicts:
        result.findings.append(rule(
            "area_name_conflict",
            "Samma område har olika namn. Rapporterna använder ett av dem; skriv namnet likadant överallt.",
            "reference/area_deso.csv", examples(conflicts)))


def _links(result: CheckResult) -> None:
    read = result.tables.get("area_deso")
    if read is not None and read.ok:
        result.links = [
            Link(n, norm_id(r["omrades_id"]), norm_id(r["deso"]), r["andel"],
                 " ".join(str(r["omradesnamn"]).split()) if r.get("omradesnamn") else None)
            for r, n in zip(read.rows, read.row_numbers)
        ]


def _need_area_deso(result: CheckResult) -> None:
    if "area_deso" in result.inventory.present:
        return
    reasons = []
    if result.police_present:
        reasons.append("polisens brott i landing/police_deso/ är kodade till DeSO och kan bara räknas per område "
                       "genom kopplingen mellan område och DeSO")
    if "deso_population" in result.inventory.present:
        reasons.append("folkmängden lämnas per DeSO (deso_population.csv) och räknas till områdena genom kopplingen")
    if reasons:
        result.findings.append(rule(
            "area_deso_missing",
            "area_deso.csv saknas men behövs: " + "; ".join(reasons) + ". Skriv en rad per område och DeSO "
            "(Områdes-ID;DeSO;Andel). Mallar med kommunens områden och DeSO-koder: kör kontrollen med "
            "--write-templates MAPP."))


def _link_rules(result: CheckResult) -> None:
    links = result.links
    if not links:
        return
    name = "reference/area_deso.csv"
    pairs: dict[tuple[str, str], list[int]] = defaultdict(list)
    for link in links:
        pairs[(link.area_id, link.deso)].append(link.row)
    dups = [f"{a} – {d}: rad {', '.join(map(str, rows))}" for (a, d), rows in pairs.items() if len(rows) > 1]
    if dups:
        result.findings.append(rule(
            "duplicate_link", "Samma område och DeSO står på flera rader. Behåll en rad per område och DeSO.",
            name, examples(dups)))
    by_deso: dict[str, dict[str, Link]] = defaultdict(dict)
    for link in links:
        by_deso[link.deso].setdefault(link.area_id, link)
    bad_sum, partial = [], []
    for deso, per_area in sorted(by_deso.items()):
        parts = list(per_area.values())
        if len(parts) >= 2:
            total = sum(p.weight for p in parts)
            if abs(total - 1.0) > SHARE_TOLERANCE:
                terms = " + ".join(f"{p.area_id} {fmt_share(p.share)}" for p in parts)
                rows = ", ".join(str(p.row) for p in parts)
                bad_sum.append(f"{deso}: {terms} = {total:.2f}".replace(".", ",") + f" (rad {rows})")
        elif parts[0].share is not None and parts[0].share < 1.0:
            partial.append(f"{deso}: {parts[0].area_id} {fmt_share(parts[0].share)} (rad {parts[0].row})")
    if bad_sum:
        result.findings.append(rule(
            "shares_do_not_sum_to_one",
            f"{pl(len(bad_sum), 'DeSO är delad', 'DeSO:er är delade')} mellan flera områden men andelarna summerar "
            f"inte till 1 (±0,01). "
            f"Andelen är den del av DeSO:ns befolkning som bor i området; en tom andel räknas som 1. Rätta "
            f"andelarna så att de blir 1 tillsammans.", name, examples(bad_sum)))
    if partial:
        result.findings.append(rule(
            "partial_deso_share",
            f"{pl(len(partial), 'DeSO hör', 'DeSO:er hör')} till ett enda område med en andel under 1: resten av DeSO:n ligger utanför "
            f"EST-områdena, och bara den andelen av dess brott och folkmängd räknas till området. Det är tillåtet; "
            f"kontrollera att det är meningen.", name, examples(partial)))
    link_areas = {link.area_id for link in links}
    if result.area_source == "boundaries":
        unknown = sorted(link_areas - set(result.area_ids))
        if unknown:
            rows = {a: [str(link.row) for link in links if link.area_id == a] for a in unknown}
            result.findings.append(rule(
                "area_not_in_boundaries",
                f"{len(unknown)} områdes-ID i area_deso.csv finns inte i områdesfilen. Rätta ID:t eller lägg till "
                f"området i områdesfilen.", name, examples([f"{a} (rad {', '.join(rows[a])})" for a in unknown])))
        missing = [a for a in result.area_ids if a not in link_areas]
        if missing:
            severity = ERROR if result.police_present else WARNING
            why = ("polisens DeSO-kodade brott räknas då aldrig till dem, och deras brottsnivå blir noll"
                   if result.police_present else "DeSO-kodade uppgifter (polisens brott, folkmängd per DeSO) kan "
                   "inte räknas till dem")
            result.findings.append(rule(
                "area_without_deso",
                f"{pl(len(missing), 'område', 'områden')} i områdesfilen har ingen DeSO i area_deso.csv: {why}. Lägg till raderna "
                f"(Områdes-ID;DeSO;Andel).", name,
                examples([f"{a} ({result.area_names.get(a, '')})" for a in missing]), severity=severity))
    prefixes = Counter(link.deso[:4] for link in links)
    if len(prefixes) > 1:
        result.findings.append(rule(
            "multiple_municipalities",
            f"DeSO-koderna hör till {len(prefixes)} kommuner ({', '.join(sorted(prefixes))}). Det stämmer för en "
            f"installation som omfattar flera kommuner; annars är någon kod fel (de fyra första siffrorna är "
            f"kommunkoden).", name, examples([f"{k}: {n} rader" for k, n in sorted(prefixes.items())])))
    areas_read = result.tables.get("areas")
    if result.area_source == "boundaries" and areas_read is not None:
        codes = {norm_id(r["area_id"]): r.get("municipality_code") for r in areas_read.rows}
        by_area: dict[str, set[str]] = defaultdict(set)
        for link in links:
            by_area[link.area_id].add(link.deso[:4])
        mismatch = [f"{a}: Kommunkod {c}, DeSO-koder från {', '.join(sorted(by_area[a]))}"
                    for a, c in codes.items() if c and by_area.get(a) and c not in by_area[a]]
        if mismatch:
            result.findings.append(rule(
                "municipality_code_mismatch",
                "Kommunkoden i områdesfilen stämmer inte med DeSO-koderna området är kopplat till (de fyra första "
                "siffrorna i en DeSO-kod är kommunkoden). Rätta kommunkoden eller DeSO-koden.",
                areas_read.name, examples(mismatch)))


def _municipalities(result: CheckResult, kommunkod: set[str] | None) -> None:
    if kommunkod:
        result.municipalities = set(kommunkod)
        return
    if result.links:
        result.municipalities = {link.deso[:4] for link in result.links}
        return
    areas_read = result.tables.get("areas")
    if areas_read is not None and areas_read.ok:
        codes = {r["municipality_code"] for r in areas_read.rows if r.get("municipality_code")}
        if codes:
            result.municipalities = codes
            return
    police_prefixes = {d[:4] for d in result.police_deso_crimes}
    if len(police_prefixes) == 1:
        result.municipalities = police_prefixes
    elif police_prefixes:
        result.findings.append(rule(
            "municipality_unknown",
            f"Polisens extrakt har DeSO-koder från {len(police_prefixes)} kommuner (ett nationellt extrakt) och "
            f"inget annat säger vilken kommun installationen gäller. Ange den med --kommunkod, t.ex. "
            f"--kommunkod 1880, så att kontrollen och mallarna tar med rätt DeSO-koder.",
            "police_deso"))


def _police(result: CheckResult) -> None:
    """Crimes per DeSO as the pipeline counts them: a crime is its ``Id``, and a later file
    (file-name order, the order the ingest loads them) that repeats an ``Id`` replaces it."""
    latest: dict[str, tuple[str | None, int]] = {}
    rows = 0
    for read in result.police:
        result.findings += _file_findings(read, severity_rows=WARNING)
        if not read.ok:
            continue
        for row in read.rows:
            rows += 1
            deso = row.get("deso_omrade")
            latest[norm_id(row.get("id"))] = (norm_id(deso) if deso else None, row.get("antal") or 0)
    result.police_repeated_rows = rows - len(latest)
    for deso, crimes in latest.values():
        if deso:
            result.police_deso_crimes[deso] = result.police_deso_crimes.get(deso, 0) + crimes
        else:
            result.police_crimes_without_deso += crimes


def _unlinked(result: CheckResult) -> None:
    if not result.links or not result.municipalities:
        return
    linked = result.linked_desos
    missing = {d: n for d, n in result.police_deso_crimes.items()
               if d[:4] in result.municipalities and d not in linked}
    if missing:
        crimes = sum(missing.values())
        ordered = sorted(missing.items(), key=lambda kv: (-kv[1], kv[0]))
        result.findings.append(rule(
            "unlinked_municipal_deso",
            f"{pl(len(missing), 'DeSO', 'DeSO:er')} i kommunen förekommer i polisens extrakt ({crimes} brott) men hör inte till "
            f"något område i area_deso.csv. Brotten räknas som 'inte i något område', de försvinner inte. Ligger "
            f"en DeSO i ett EST-område: lägg till den i area_deso.csv.",
            "reference/area_deso.csv", examples([f"{d}: {n} brott" for d, n in ordered])))


def _population_values(result: CheckResult, reads: list[TableRead]) -> None:
    """The value rules the ingest's suite applies to population (quarantined there)."""
    from datetime import date

    last_year = date.today().year + 1
    for read in reads:
        bad = [f"rad {n}: år {r['ar']}, folkmängd {r['folkmangd']}" for r, n in zip(read.rows, read.row_numbers)
               if r["folkmangd"] < 0 or not 2000 <= r["ar"] <= last_year]
        if bad:
            result.findings.append(Finding(
                "value_out_of_range", ERROR,
                f"{pl(len(bad), 'rad', 'rader')} i {read.name} har en negativ folkmängd eller ett år utanför "
                f"2000–{last_year} och läggs i karantän.", read.name, examples(bad)))


def _population(result: CheckResult) -> None:
    present = result.inventory.present
    if "area_population" not in present and "deso_population" not in present:
        result.findings.append(rule(
            "population_missing",
            "Folkmängd saknas. Lämna antingen population.csv (Områdes-ID;År;Folkmängd, per område) eller "
            "deso_population.csv (DeSO;År;Folkmängd, per DeSO, t.ex. från SCB). Folkmängden behövs för "
            "brott per invånare. Mallar: kör kontrollen med --write-templates MAPP."))
        return
    pop, dpop = result.tables.get("area_population"), result.tables.get("deso_population")
    usable = [r for r in (pop, dpop) if r is not None and r.ok]
    if not usable:
        return  # the rejection is the error to fix first
    if pop is not None and pop.ok:
        for r in pop.rows:
            result.area_population.setdefault(norm_id(r["omrades_id"]), {})[r["ar"]] = r["folkmangd"]
    if dpop is not None and dpop.ok:
        for r in dpop.rows:
            result.deso_population.setdefault(norm_id(r["deso"]), {})[r["ar"]] = r["folkmangd"]
    _population_values(result, [r for r in (pop, dpop) if r is not None and r.ok])
    if not result.area_ids:
        return
    years: dict[str, set[int]] = {a: set(result.area_population.get(a, {})) for a in result.area_ids}
    for link in result.links:
        if link.area_id in years:
            years[link.area_id] |= set(result.deso_population.get(link.deso, {}))
    without = [a for a in result.area_ids if not years[a]]
    if without:
        result.findings.append(rule(
            "area_without_population",
            f"{pl(len(without), 'område har', 'områden har')} ingen folkmängd för något år, så brott per invånare kan inte räknas för "
            f"dem. Lägg till dem i population.csv, eller (med deso_population.csv) koppla dem till DeSO:er som "
            f"har folkmängd.", None, examples([f"{a} ({result.area_names.get(a, '')})" for a in without])))
    if result.area_population:
        stray = sorted(set(result.area_population) - set(result.area_ids))
        if stray:
            result.findings.append(rule(
                "population_unknown_area",
                f"population.csv har folkmängd för {len(stray)} områdes-ID som inte är områden. Rätta ID:t "
                f"eller ta bort raderna.", "reference/population.csv", examples(stray)))
    if result.deso_population and result.links:
        lacking = sorted(result.linked_desos - set(result.deso_population))
        if lacking:
            result.findings.append(rule(
                "deso_without_population",
                f"{pl(len(lacking), 'DeSO', 'DeSO:er')} i area_deso.csv saknas i deso_population.csv, så deras invånare räknas "
                f"inte till områdena. Lägg till dem.", "reference/deso_population.csv", examples(lacking)))
    if result.suggestion is not None:
        gaps = []
        for year in result.suggestion.years:
            lacking_year = [a for a in result.area_ids if years[a] and year not in years[a]]
            if lacking_year:
                gaps.append(f"{year}: {pl(len(lacking_year), 'område', 'områden')} ({', '.join(lacking_year[:6])}"
                            f"{', ...' if len(lacking_year) > 6 else ''})")
        if gaps:
            result.findings.append(rule(
                "population_years_missing",
                f"Datan går från {result.suggestion.first_date} till {result.suggestion.last_date}, men "
                f"folkmängden saknas för några år. Lägg till de åren.", None, gaps))


def _suggest(result: CheckResult, analysis_period: str) -> None:
    sources = [d for d in [result.police_dates, *result.other_dates] if d.first is not None]
    if not sources:
        result.findings.append(rule(
            "no_data_dates",
            "Det finns inga daterade rader i landing/ (inget polisextrakt eller andra flöden som kan läsas), så "
            "första partitionen kan inte föreslås. Lägg polisens DeSO-extrakt i landing/police_deso/ och kör "
            "kontrollen igen."))
        return
    first = min(sources, key=lambda d: d.first)  # type: ignore[arg-type, return-value]
    last = max(d.last for d in sources if d.last is not None)
    result.suggestion = PeriodSuggestion(first.first, last, first.first_file or first.folder,  # type: ignore[arg-type]
                                         analysis_period)


SOURCE_SV = {"env": "miljövariabel", "file": "inställningsfilen", "default": "standardvärde"}


def settings_findings(suggestion: PeriodSuggestion | None, settings: Settings | None) -> list[Finding]:
    """Does the partition start in effect follow the data?"""
    if suggestion is None or settings is None:
        return []
    current, wanted = settings.partition_start, suggestion.partition_start.isoformat()
    if current == wanted:
        return []
    where = SOURCE_SV.get(settings.source("partition_start"), "")
    if current > wanted:
        effect = f"veckorna från {iso_week_label(suggestion.partition_start)} fram till dess får ingen partition"
    else:
        from datetime import date

        weeks = (suggestion.partition_start - date.fromisoformat(current)).days // 7
        effect = f"de {weeks} första veckopartitionerna blir tomma"
    how = ("kör kontrollen med --write-settings" if settings.source("partition_start") != "env"
           else "ändra miljövariabeln EST_PARTITION_START (den går före inställningsfilen)")
    return [rule(
        "partition_start_mismatch",
        f"partition_start är {current} ({where}), men datan börjar vecka {suggestion.first_week} "
        f"(måndag {wanted}): {effect}. För att använda den föreslagna första partitionen: {how}.")]


def run_check(
    landing: Path,
    settings: Settings | None = None,
    kommunkod: set[str] | None = None,
    settings_error: str | None = None,
    analysis_period: str | None = None,
) -> CheckResult:
    """Check the reference set in ``landing`` (nothing is written)."""
    landing = landing.resolve()
    inventory = reference_inventory(landing)
    tables = read_reference(inventory, landing)
    police, police_dates = police_extract(landing)
    result = CheckResult(landing, inventory, tables, police, police_dates, other_feed_dates(landing))
    if settings_error:
        result.findings.append(rule(
            "settings_invalid",
            f"Inställningarna kan inte användas: {settings_error}. Rätta inställningsfilen eller miljövariabeln; "
            f"pipelinen startar inte förrän dess."))
    result.findings += _inventory_findings(inventory, landing)
    for read in tables.values():
        result.findings += _file_findings(read)
    _police(result)
    _links(result)
    _areas(result)
    _need_area_deso(result)
    _link_rules(result)
    _municipalities(result, kommunkod)
    _unlinked(result)
    _suggest(result, analysis_period or (settings.analysis_period if settings else "quarter"))
    _population(result)
    result.findings += settings_findings(result.suggestion, settings)
    return result
