"""Templates the analyst fills in: the reference files that are missing or incomplete,
pre-filled with what the check already knows (the areas, the municipality's DeSO codes
seen in the police extract, the years of the data, values already given).

The templates are written to a folder of their own, never into the landing folder: a
half-filled template must not be ingested by accident. They are semicolon-separated
UTF-8 with BOM, so Excel opens them with å, ä and ö intact, and the ingest reads them as
they are. The extra column ``Att göra`` is a note for the analyst; the ingest ignores it.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from est_pipeline.onboarding.check import CheckResult, fmt_share

TODO = "Att göra"


def _write(path: Path, header: list[str], rows: list[list[object]]) -> int:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
    return len(rows)


def _years(result: CheckResult) -> list[int]:
    if result.suggestion is not None:
        return result.suggestion.years
    this_year = date.today().year
    return [this_year - 1, this_year]


def municipal_desos(result: CheckResult) -> list[str]:
    """The municipality's DeSO codes the check has seen (links, police extract, DeSO population)."""
    seen = set(result.linked_desos)
    for deso in [*result.police_deso_crimes, *result.deso_population]:
        if result.municipalities and deso[:4] in result.municipalities:
            seen.add(deso)
    return sorted(seen)


def area_deso_rows(result: CheckResult) -> list[list[object]]:
    rows: list[list[object]] = []
    for link in result.links:
        share = "" if link.share is None else fmt_share(link.share)
        rows.append([link.area_id, link.deso, share, link.name or result.area_names.get(link.area_id, ""), ""])
    linked_areas = {link.area_id for link in result.links}
    for area_id in result.area_ids:
        if area_id not in linked_areas:
            rows.append([area_id, "", "", result.area_names.get(area_id, ""),
                         "Fyll i DeSO-kod: en rad per DeSO som området består av (kopiera raden)"])
    linked = result.linked_desos
    for deso in municipal_desos(result):
        if deso in linked:
            continue
        crimes = result.police_deso_crimes.get(deso)
        seen = f"{crimes} brott i polisens extrakt" if crimes else "kommunens DeSO"
        rows.append(["", deso, "", "",
                     f"{seen}: fyll i Områdes-ID (och Områdesnamn om kommunen saknar gränser) om DeSO:n ligger "
                     f"i ett område, annars ta bort raden"])
    return rows


def population_rows(result: CheckResult) -> list[list[object]]:
    rows: list[list[object]] = []
    for area_id in result.area_ids:
        known = result.area_population.get(area_id, {})
        for year in _years(result):
            value = known.get(year)
            rows.append([area_id, year, value, "" if value is not None else "Fyll i folkmängden"])
    return rows


def deso_population_rows(result: CheckResult) -> list[list[object]]:
    rows: list[list[object]] = []
    for deso in municipal_desos(result):
        known = result.deso_population.get(deso, {})
        for year in _years(result):
            value = known.get(year)
            rows.append([deso, year, value, "" if value is not None else "Fyll i folkmängden (SCB)"])
    return rows


README = """# Mallar för referensdata (EST)

Mallarna är skapade av `python -m est_pipeline.onboarding check --write-templates` utifrån de
filer som redan finns. Fyll i dem i Excel (de är semikolonavgränsade och sparade som UTF-8),
spara som CSV (semikolonavgränsad) och lägg dem i `landing/reference/`. Kör sedan kontrollen
igen: `make onboard`. Kolumnen "Att göra" är en anteckning till er; den läses inte in och
kan ligga kvar eller tas bort.

## area_deso.csv: vilka DeSO:er varje område består av

En rad per område och DeSO: `Områdes-ID;DeSO;Andel;Områdesnamn`.

- **DeSO** är SCB:s demografiska statistikområden, t.ex. `1880C1010` (de fyra första siffrorna
  är kommunkoden). Polisens brott är kodade till DeSO och räknas till områdena genom den här
  filen.
- **Andel** lämnas tom när hela DeSO:n hör till området. Är en DeSO delad mellan flera
  områden skriver ni på varje rad hur stor del av DeSO:ns befolkning som bor i området
  (decimalkomma, t.ex. `0,6` och `0,4`); andelarna för en DeSO ska bli 1 tillsammans. Ligger
  bara en del av en DeSO i ett område och resten utanför alla områden, skriv den delen (t.ex.
  `0,3`); kontrollen varnar då, men det är tillåtet.
- Andelarna räknar ni lättast fram i ett GIS-program: lägg SCB:s DeSO-gränser (öppna data från
  SCB) över områdesgränserna och dela DeSO:ns befolkning efter var bostäderna ligger (t.ex.
  antal adresser eller lägenheter per del). Har ni bara ytan: ytandelen är en grov
  uppskattning.
- **Områdesnamn** behövs bara när kommunen saknar områdesgränser: då beskriver filen
  områdena, som listor av DeSO:er. Skriv samma namn på alla rader för ett område.
- Rader med en DeSO men utan Områdes-ID är kommunens DeSO:er som polisens extrakt innehåller
  men som inte hör till något område ännu. Fyll i Områdes-ID om DeSO:n ligger i ett område,
  annars ta bort raden (brotten där räknas då som "inte i något område"; de försvinner inte).

## population.csv eller deso_population.csv: folkmängd

Fyll i **en** av dem:

- `population.csv` (`Områdes-ID;År;Folkmängd`) när ni har folkmängden per område.
- `deso_population.csv` (`DeSO;År;Folkmängd`) när ni har den per DeSO. SCB publicerar
  folkmängden per DeSO och år i Statistikdatabasen; pipelinen räknar den till områdena med
  andelarna i area_deso.csv.

Ta bort den mall ni inte använder. Åren är de år datan täcker; folkmängden gäller årets
slut (31 december), som i SCB:s statistik.
"""


def write_templates(result: CheckResult, target: Path, landing: Path) -> list[str]:
    """Write the templates to ``target`` (refusing a folder inside landing/); returns what was written."""
    target = target.resolve()
    landing = landing.resolve()
    if target == landing or landing in target.parents:
        raise ValueError(
            f"mallarna skrivs inte i landningsmappen ({target}): en halvfärdig mall skulle läsas in. "
            f"Välj en annan mapp, t.ex. mallar/")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    n = _write(target / "area_deso.csv", ["Områdes-ID", "DeSO", "Andel", "Områdesnamn", TODO], area_deso_rows(result))
    written.append(f"{target / 'area_deso.csv'} ({n} rader)")
    n = _write(target / "population.csv", ["Områdes-ID", "År", "Folkmängd", TODO], population_rows(result))
    written.append(f"{target / 'population.csv'} ({n} rader)")
    n = _write(target / "deso_population.csv", ["DeSO", "År", "Folkmängd", TODO], deso_population_rows(result))
    written.append(f"{target / 'deso_population.csv'} ({n} rader)")
    (target / "README.md").write_text(README, encoding="utf-8")
    written.append(f"{target / 'README.md'}")
    return written
