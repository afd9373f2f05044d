"""The partner pages in ``docs/feeds/``, generated from the feed contracts.

Partners need to know which headings, formats and errors the pipeline knows; writing
that by hand would drift from the code, so the pages are built from the same contracts
the readers use (``python -m est_pipeline.ingest.partner_docs`` rewrites them, and a
test fails when they are out of date).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from est_pipeline.ingest import examples
from est_pipeline.ingest.feeds import FEEDS, REFERENCE_FEEDS
from est_pipeline.ingest.readers import DELIMITER_NAMES
from est_pipeline.ingest.spec import Column, Feed
from est_pipeline.settings import REPO_ROOT

DOCS_DIR = REPO_ROOT / "docs" / "feeds"

TYPE_SV = {
    "text": "text",
    "date": "datum (ÅÅÅÅ-MM-DD, D/M/ÅÅÅÅ eller ÅÅÅÅMMDD)",
    "timestamp": "datum och tid (t.ex. 2024-03-05 22:14)",
    "timestamptz": "tidpunkt med tidszon",
    "integer": "heltal",
    "bigint": "heltal",
    "double": "tal (decimalkomma eller decimalpunkt)",
    "boolean": "ja/nej",
}

#: code -> (whole file or row, what happened, what to do)
ERRORS_SV: dict[str, tuple[str, str, str]] = {
    "unknown_encoding": ("fil", "Teckenkodningen kan inte läsas: filen är sparad som UTF-16 ('Unicode-text'), är "
                                "ingen textfil (binärdata), eller är Windows-1252 ('ANSI') där flödet bara tar emot "
                                "UTF-8 (även med en UTF-8-markering, BOM, först). Meddelandet säger vilket och på "
                                "vilken rad.",
                         "Spara som 'CSV UTF-8' i Excel och skicka igen."),
    "wrong_delimiter": ("fil", "Filen använder en annan avgränsare än flödet kräver.",
                        "Spara med rätt avgränsare (se Format ovan)."),
    "not_a_spreadsheet": ("fil", "Filen heter .xlsx men är inget Excel-kalkylblad (eller är en gammal .xls).",
                          "Spara som Excel-arbetsbok (.xlsx) eller som CSV med filändelsen .csv."),
    "unsupported_file_type": ("fil", "Filtypen tas inte emot av flödet.", "Skicka någon av de filtyper som anges ovan."),
    "missing_required_column": ("fil", "En obligatorisk kolumn saknas; meddelandet säger vilken och vilka rubriker som hittades.",
                                "Lägg till kolumnen med en av de rubriker som står i tabellen ovan."),
    "duplicate_column": ("fil", "Samma kolumn förekommer två gånger.", "Ta bort den ena kolumnen."),
    "empty_file": ("fil", "Filen är tom (0 byte eller bara tomma rader), eller arbetsboken har inget blad. "
                          "En fil med bara rubrikraden är däremot en giltig leverans för en period utan "
                          "händelser: den tas emot och syns som 'inga rader'.",
                   "Exportera filen igen. Har ni inget att rapportera går det bra att skicka bara rubrikraden."),
    "ambiguous_date_format": ("fil", "Datum som 1/3/2024 kan vara både 1 mars och 3 januari, och inget datum i filen avgör saken.",
                              "Skriv datum som ÅÅÅÅ-MM-DD."),
    "mixed_date_formats": ("fil", "En kolumn blandar datumformat.", "Använd samma format i hela kolumnen, helst ÅÅÅÅ-MM-DD."),
    "invalid_json": ("fil", "Filen är ingen giltig JSON (ofta en avklippt fil).", "Hämta eller exportera filen igen."),
    "unknown_reference_file": ("fil", "Filnamnet hör inte till referensdata.", "Använd exakt de filnamn som anges."),
    "unparseable_file": ("fil", "Filen kan inte läsas i sitt format (CSV, GeoPackage, shapefil eller zip), "
                                "t.ex. för att den är trasig eller har fel filändelse.", "Exportera filen igen."),
    "unknown_crs": ("fil", "Filens koordinatsystem kan inte läsas, eller filen anger inget koordinatsystem och "
                           "koordinaterna kan inte tolkas säkert (t.ex. en lokal SWEREF 99-zon eller RT90 utan .prj-fil).",
                    "Spara om filen från GIS-programmet med koordinatsystemet angivet, helst SWEREF 99 TM "
                    "(EPSG:3006) eller WGS84 (EPSG:4326). Skicka med .prj-filen till en shapefil."),
    "incomplete_shapefile": ("fil", "En del av shapefilen saknas (.shx eller .dbf bredvid .shp-filen), eller "
                                    "zip-filen innehåller ingen eller flera shapefiler.",
                             "Lämna alla delar med samma namn i samma mapp (areas.shp, areas.shx, areas.dbf, "
                             "areas.prj, areas.cpg), eller zippa dem tillsammans till areas.zip."),
    "ambiguous_layer": ("fil", "GeoPackage-filen har flera lager med geometri och inget heter som filen "
                               "(areas eller places).",
                        "Döp lagret till areas (eller places), eller spara bara det lagret i filen."),
    "internal_error": ("fil", "Ett fel i inläsningen, inte i er fil.", "Kontakta förvaltningen av EST-systemet."),
    "wrong_field_count": ("rad", "Raden har fler eller färre fält än rubrikraden (avklippt rad eller avgränsare i fritext).",
                          "Sätt fritext med avgränsare inom citattecken, eller skicka en hel fil."),
    "unbalanced_quote": ("rad", "Ett citattecken (\") i början av ett fält stängs aldrig, så raderna efter slogs ihop "
                                "med raden. Varje rad läses då för sig: raden med citattecknet läggs i karantän, de "
                                "andra läses in som vanligt.",
                         "Ta bort citattecknet eller stäng fältet med ett citattecken till, och skicka en rättad fil."),
    "truncated_record": ("rad", "Filen tar slut mitt i sista raden: den slutar inne i ett fält inom citattecken, eller "
                                "utan radbrytning efter sista raden, så raden kan vara avklippt (t.ex. en text som "
                                "slutar mitt i ett ord).",
                         "Skicka hela filen igen. En fil som Excel sparar slutar alltid med en radbrytning."),
    "field_too_large": ("rad", "Ett fält har fler än 32 767 tecken, mer än en cell i Excel rymmer. Oftast har ett "
                               "citattecken inte stängts.",
                        "Kontrollera citattecknen på raden, eller korta texten."),
    "nul_bytes": ("rad", "Raden innehåller NUL-tecken (byte 0), oftast efter en trasig överföring eller kopiering.",
                  "Exportera filen igen och skicka den på nytt."),
    "too_many_rows_quarantined": ("håll", "Så många rader gick inte att läsa att det inte kan vara enstaka fel: fler "
                                          "än 20 % och tillräckligt många för att det ska synas (ett binomialtest på "
                                          "1 % nivå; 1 fel av 4 rader räcker inte, 4 av 4 eller 6 av 10 gör det). "
                                          "Troligen har exporten ändrats.",
                                  "Skicka en rättad fil med samma filnamn. Är filen ändå rätt kan förvaltningen "
                                  "godkänna den (make accept)."),
    "suite_failed": ("håll", "Filen bryter mot en regel som gäller hela filen.",
                     "Skicka en rättad fil med samma filnamn, eller be förvaltningen granska och godkänna den."),
    "missing_value": ("rad", "Ett obligatoriskt värde saknas.", "Fyll i värdet och skicka en rättad fil."),
    "invalid_date": ("rad", "Datumet finns inte (t.ex. 2021-02-30) eller kan inte läsas.", "Rätta datumet."),
    "implausible_date": ("rad", "Datumet ligger före år 2000 eller efter att filen kom in.", "Rätta datumet."),
    "invalid_number": ("rad", "Värdet är inget tal.", "Skriv talet med siffror, decimalkomma går bra."),
    "invalid_coordinates": ("rad", "Koordinaterna ligger utanför Sverige i flödets (eller filens) koordinatsystem.",
                            "Kontrollera att koordinaterna är i rätt system och inte har bytt plats."),
    "invalid_geometry": ("rad", "Geometrin saknas, är tom eller kan inte läsas, eller ett område är ingen yta "
                                "(Polygon/MultiPolygon).", "Rätta eller exportera objektet igen från GIS."),
    "value_not_allowed": ("rad", "Värdet är inte ett av de tillåtna.", "Använd ett av de tillåtna värdena."),
    "value_out_of_range": ("rad", "Värdet ligger utanför den tillåtna skalan.", "Rätta värdet."),
    "invalid_format": ("rad", "Värdet har fel format (t.ex. brottskod, kommunkod eller DeSO-kod).", "Rätta värdet."),
    "invalid_week": ("rad", "Veckan finns inte eller kan inte läsas.", "Skriv veckan som ÅÅÅÅ-Wvv, t.ex. 2024-W10."),
    "invalid_value": ("rad", "Värdet kan inte läsas som ja/nej.", "Skriv ja eller nej."),
    "invalid_record": ("rad", "Posten i JSON-listan är inget objekt.", "Hämta filen igen."),
}

_ROW_CODES_BY_TYPE = {"date": ["invalid_date", "implausible_date"], "timestamp": ["invalid_date", "implausible_date"],
                      "integer": ["invalid_number"], "double": ["invalid_number"], "bigint": ["invalid_number"]}


def _codes(feed: Feed) -> list[str]:
    codes = ["unknown_encoding", "unsupported_file_type", "missing_required_column", "duplicate_column", "empty_file"]
    if "csv" in feed.formats:
        codes += ["wrong_delimiter", "wrong_field_count", "unbalanced_quote", "truncated_record"]
    if "xlsx" in feed.formats:
        codes += ["not_a_spreadsheet"]
    if {"csv", "xlsx"} & set(feed.formats):
        codes += ["field_too_large", "nul_bytes"]
    if {"json", "geojson"} & set(feed.formats):
        codes += ["invalid_json", "invalid_record"]
    if any(c.type in ("date", "timestamp") for c in feed.file_columns):
        codes += ["ambiguous_date_format", "mixed_date_formats"]
    codes += ["missing_value"]
    for col in feed.file_columns:
        codes += _ROW_CODES_BY_TYPE.get(col.type, [])
    if feed.coordinates or any(c.name == "geometry_wkt" for c in feed.columns):
        codes += ["invalid_coordinates"]
    if any(c.name == "geometry_wkt" for c in feed.columns):
        codes += ["invalid_geometry", "unparseable_file", "unknown_crs"]
    if {"shp", "zip"} & set(feed.formats):
        codes += ["incomplete_shapefile"]
    if "gpkg" in feed.formats:
        codes += ["ambiguous_layer"]
    if feed.folder == "reference":
        codes += ["unknown_reference_file"]
    if any(c.parse is not None and c.parse.__name__ in ("deso_code", "municipality_code") for c in feed.file_columns):
        codes += ["invalid_format"]
    if any(c.parse is not None and c.parse.__name__ == "share" for c in feed.file_columns):
        codes += ["value_out_of_range"]
    from data_checks.suites import value_rules

    for exp in value_rules(feed):
        code = (exp.meta or {}).get("reason_code")
        if (exp.meta or {}).get("action") == "quarantine" and code:
            codes.append(code)
    if feed.name == "checklist":
        codes.append("invalid_week")
    if any(c.parse is not None for c in feed.file_columns):
        codes += ["value_not_allowed"] if feed.name in ("checklist", "interventions") else []
    if feed.name == "police_deso":
        codes.append("invalid_format")
    seen: list[str] = []
    for c in codes + ["too_many_rows_quarantined", "suite_failed", "internal_error"]:
        if c not in seen:
            seen.append(c)
    return seen


def _column_row(col: Column) -> str:
    aliases = ", ".join(f"`{a}`" for a in col.aliases) or ""
    required = "ja" if col.required else "nej (kolumnen får saknas)"
    blank = "ja" if col.nullable else "nej"
    masked = " Fritext." if col.masked else ""
    return (f"| `{col.header}` | {required} | {blank} | {aliases} | {TYPE_SV[col.type]} | "
            f"{col.description}{masked} |")


def _format_section(feed: Feed) -> list[str]:
    lines = []
    if "csv" in feed.formats:
        enc = " eller ".join("UTF-8 (med eller utan BOM)" if e == "utf-8" else "Windows-1252 (Excels 'CSV (semikolonavgränsad)')"
                             for e in feed.encodings)
        lines.append(f"- CSV (`.csv`), avgränsad med {DELIMITER_NAMES[feed.delimiter]}, teckenkodning {enc}. "
                     "Fält med avgränsare eller radbrytning i sätts inom citattecken.")
    if "xlsx" in feed.formats:
        lines.append("- Excel-arbetsbok (`.xlsx`): första bladet läses; rubrikraden söks bland de tio första "
                     "raderna, så titelrader ovanför går bra.")
    if "json" in feed.formats:
        lines.append("- JSON (`.json`): en lista med objekt; inbäddade objekt läses som `objekt.fält` (t.ex. `location.gps`).")
    if "geojson" in feed.formats:
        lines.append("- GeoJSON (`.geojson`): en FeatureCollection. Utan `crs` gäller WGS84 (GeoJSON-standarden), "
                     "utom när koordinaterna bara kan vara SWEREF 99 TM-meter.")
    if "gpkg" in feed.formats:
        lines.append("- GeoPackage (`.gpkg`): lagret läses; har filen flera lager med geometri läses lagret som "
                     "heter som filen (`areas` eller `places`).")
    if "shp" in feed.formats:
        lines.append("- Shapefil (`.shp`) med sina delar `.shx`, `.dbf`, `.prj` och `.cpg` bredvid, med samma namn "
                     "(`areas.shp`, `areas.shx`, ...). Delarna hör till shapefilen och läses in med den; en del som "
                     "kommer senare gör att shapefilen läses in igen. Kolumnnamn i en shapefil kapas vid tio byte "
                     "(`Områdes-ID` blir `Områdes-I`); sådana kapade rubriker känns igen.")
    if "zip" in feed.formats:
        lines.append("- Zippad shapefil (`.zip`): en zip-fil med en shapefil och dess delar (mappar i zip-filen går bra).")
    if {"gpkg", "shp", "zip", "geojson"} & set(feed.formats):
        lines.append("- Koordinatsystem: SWEREF 99 TM (EPSG:3006), WGS84 eller vilket system som helst som filen "
                     "anger (t.ex. en lokal SWEREF 99-zon eller RT90 2,5 gon V); allt räknas om till SWEREF 99 TM. "
                     "En GeoPackage eller shapefil utan koordinatsystem (ingen `.prj`) tas bara emot när "
                     "koordinaterna är entydiga: SWEREF 99 TM-meter eller longitud/latitud i Sverige; annars avvisas "
                     "filen (`unknown_crs`).")
        lines.append("- Radnummer i felmeddelanden är objektets nummer i filen (1 = det första objektet), som i "
                     "GIS-programmets attributtabell.")
    lines.append("- Rubrikerna jämförs utan hänsyn till stora/små bokstäver, mellanslag, å/ä/ö och skiljetecken "
                 "(`OMRÅDES ID` = `Områdes-ID`). Kolumnernas ordning spelar ingen roll och extra kolumner ignoreras.")
    if feed.null_tokens:
        lines.append(f"- Saknade värden får skrivas som tomt fält eller {', '.join(f'`{t}`' for t in feed.null_tokens)}.")
    return lines


def _example(feed: Feed) -> list[str]:
    texts = {"police_deso": examples.POLICE_DESO, "police_local": examples.POLICE_LOCAL.lstrip("\ufeff"),
             "fault_reports": examples.FAULT_REPORTS, "field_observations": examples.FIELD_OBSERVATIONS,
             "checklist": examples.CHECKLIST, "interventions": examples.INTERVENTIONS,
             "safety_survey": examples.SAFETY_SURVEY, "addresses": examples.ADDRESSES,
             "area_population": examples.POPULATION, "area_deso": examples.AREA_DESO,
             "deso_population": examples.DESO_POPULATION}
    key = feed.name if feed.name in texts else feed.table
    if key == "area_deso":
        return ["Med områdesgränser (andelen tom = hela DeSO:n hör till området):", "",
                "```text", texts[key].rstrip("\n"), "```", "",
                "Utan områdesgränser: områdena beskrivs som listor av DeSO:er, med namn:", "",
                "```text", examples.AREA_DESO_LIST.rstrip("\n"), "```"]
    if key in texts:
        return ["```text", texts[key].rstrip("\n"), "```"]
    if feed.name == "police_events":
        return ["```json", json.dumps(examples.POLICE_EVENTS[:1], ensure_ascii=False, indent=1), "```"]
    if feed.name == "property_incidents":
        return ["| " + " | ".join(examples.PROPERTY_HEADER) + " |", "|" + "---|" * len(examples.PROPERTY_HEADER),
                *["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in examples.PROPERTY_ROWS]]
    doc = examples.AREAS if feed.table == "areas" else examples.PLACES
    return ["```json", json.dumps(doc["features"][0], ensure_ascii=False), "```"]


def _errors(feed: Feed) -> list[str]:
    lines = ["| kod | gäller | vad det betyder | vad ni gör |", "|---|---|---|---|"]
    for code in _codes(feed):
        level, what, todo = ERRORS_SV[code]
        where = {"fil": "hela filen (inget läses in)", "rad": "raden (resten läses in)",
                 "håll": "hela filen hålls inne (raderna räknas inte ännu)"}[level]
        lines.append(f"| `{code}` | {where} | {what} | {todo} |")
    return lines


def _table_section(feed: Feed, heading: str) -> list[str]:
    return [
        heading, "",
        "| rubrik | obligatorisk kolumn | får vara tom | andra godkända rubriker | format | beskrivning |",
        "|---|---|---|---|---|---|",
        *[_column_row(c) for c in feed.file_columns],
    ]


def _drop_section(folder: str, example_name: str) -> list[str]:
    return [
        "## Så lämnar ni filen", "",
        f"Lägg filen i mappen `landing/{folder}/` (under pipelinens datamapp, t.ex. `data/landing/{folder}/`). "
        "Inläsningen startar av sig själv inom en minut.", "",
        f"- Ge filen ett beskrivande namn, t.ex. `{example_name}`. Filnamnet sparas som det är: skriv inga "
        "personuppgifter i filnamnet.",
        "- Samma fil två gånger läses bara in en gång (innehållet jämförs, inte namnet).",
        "- En rättad fil skickas med **samma filnamn**: den ersätter då den tidigare versionen helt, och den "
        "gamla versionen syns som `superseded` i filregistret. Om den rättade filen inte kan läsas ligger den "
        "gamla kvar.",
        "- Skriv gärna till ett tillfälligt namn (`.part`, `.tmp`) och byt namn när filen är klar; sådana filer "
        "och dolda filer (`.`, `~$`) läses inte.",
        "- Originalfilen sparas oförändrad i arkivet. All text granskas innan den sparas i databasen, i varje "
        "kolumn (inte bara fritext) och i felmeddelanden och karantän: personnummer och samordningsnummer, "
        "telefonnummer, e-postadresser och registreringsnummer ersätts med `[personnummer]`, `[telefon]`, "
        "`[e-post]` och `[regnr]`. **Namn känns inte igen och maskeras inte**: skriv aldrig namn eller andra "
        "personuppgifter.",
        "- Varje rad kan spåras till filen och radnumret (som i Excel: rubrikraden är rad 1, titelrader räknas med). "
        "Rader med fel läggs i karantän med fil, rad, kolumn och orsak; resten av filen läses in.",
    ]


def _identity_section(feed: Feed) -> list[str]:
    if not feed.record_key:
        return []
    return [
        "## Samma post igen", "",
        f"En post identifieras av {feed.record_key_sv}. Kommer samma post igen, i en annan fil, under ett "
        "annat namn eller i en annan teckenkodning, räknas den ändå en gång: den senaste leveransen gäller, så en "
        "rättad post ersätter den gamla. Antalet upprepade rader syns i filregistret (`rows_repeated`). "
        "Id-värden jämförs utan hänsyn till stora/små bokstäver och mellanslag.", "",
    ]


def _held_section() -> list[str]:
    return [
        "## Filer som hålls inne", "",
        "Går så många rader inte att läsa att det inte kan vara enstaka fel (fler än 20 % av raderna, och så "
        "många att slumpen inte förklarar det), eller bryter filen mot en regel för hela filen, hålls filen inne: "
        "`status = held` i filregistret med orsaken i `hold_code` och `message`. Raderna i karantän syns som "
        "vanligt, men filens övriga rader räknas inte förrän en rättad fil kommer med **samma filnamn** (den "
        "ersätter den inhållna) eller förvaltningen godkänner filen. Andra filer och flöden läses in och "
        "redovisas som vanligt under tiden. Var filen en rättelse av en tidigare fil gäller den tidigare tills "
        "vidare.", "",
    ]


def feed_page(feed: Feed) -> str:
    name = examples.EXAMPLE_ROWS[feed.name][0]
    lines = [
        f"# {feed.title_sv}", "",
        f"*Flöde `{feed.name}` → tabell `raw.{feed.table}`. Levereras av: {feed.partner_sv}.*", "",
        "<!-- Genererad av `python -m est_pipeline.ingest.partner_docs`; ändra i est_pipeline/ingest/feeds/. -->", "",
        *_drop_section(feed.name, name), "",
        "## Format", "", *_format_section(feed), "",
        *(["## Att tänka på", "", *[f"- {n}" for n in feed.notes_sv], ""] if feed.notes_sv else []),
        *_table_section(feed, "## Kolumner"), "",
        *_identity_section(feed),
        "Datum: ett format per kolumn och fil, ÅÅÅÅ-MM-DD (rekommenderas), D/M/ÅÅÅÅ (svenskt, dag först) eller "
        "ÅÅÅÅMMDD, med eller utan tid (`22:14`). Excel-celler formaterade som datum går också bra.", "",
        "## Exempel", "", *_example(feed), "",
        *_held_section(),
        "## Fel ni kan få", "",
        "Felen syns i filregistret (`raw.file_registry`, kolumnerna `status`, `error_code` eller `hold_code`, "
        "`message`) och i karantänen (`raw.quarantine`, kolumnerna `reason_code`, `reason`). Meddelandet anger "
        "alltid filen, och för radfel raden, kolumnen och värdet.", "",
        *_errors(feed), "",
    ]
    return "\n".join(lines)


#: Which reference files a deployment needs (the onboarding check says the same).
REFERENCE_NEED_SV = {
    "areas": "krävs, om inte områdena beskrivs med `Områdesnamn` i `area_deso.csv`",
    "places": "valfri",
    "addresses": "valfri",
    "area_population": "krävs, om inte folkmängden lämnas per DeSO",
    "area_deso": "krävs när polisens DeSO-kodade brott används, och när folkmängden lämnas per DeSO",
    "deso_population": "krävs, om inte folkmängden lämnas per område",
}


def reference_page() -> str:
    tables = ", ".join(f"`raw.{f.table}`" for f in REFERENCE_FEEDS)
    lines = [
        "# Referensdata: områden, platser, adresser, folkmängd, DeSO", "",
        f"*Flöde `reference` → tabellerna {tables}. Levereras av: kommunen (adresser även fastighetsbolaget).*", "",
        "<!-- Genererad av `python -m est_pipeline.ingest.partner_docs`; ändra i est_pipeline/ingest/feeds/. -->", "",
        *_drop_section("reference", "areas.geojson"), "",
        "Referensdata har **fasta filnamn**. Varje tabell tar emot ett eller flera namn (områden och platser som "
        "GeoJSON, GeoPackage, shapefil eller zippad shapefil). En ny fil under något av tabellens namn ersätter "
        "den förra helt, även när namnet är ett annat (t.ex. `areas.gpkg` efter `areas.geojson`); den fil som kom "
        "in sist gäller. Andra filnamn i mappen avvisas (`unknown_reference_file`).", "",
        "Kontrollera referensdata innan något läses in med `python -m est_pipeline.onboarding check` "
        "(`make onboard`): kommandot säger vilka filer som saknas och vad som inte stämmer mellan dem. "
        "Se [introduktionen för nya kommuner](../onboarding.sv.md).", "",
        "| fil | tabell | behövs |", "|---|---|---|",
        *[f"| {', '.join(f'`{n}`' for n in f.file_names)} | `raw.{f.table}` | {REFERENCE_NEED_SV[f.table]} |"
          for f in REFERENCE_FEEDS], "",
    ]
    for feed in REFERENCE_FEEDS:
        names = " / ".join(f"`{n}`" for n in feed.file_names)
        lines += [f"## {names} → `raw.{feed.table}`", "", *_format_section(feed), "",
                  *_table_section(feed, "### Kolumner"), "", "### Exempel", "", *_example(feed), "",
                  "### Fel ni kan få", "", *_errors(feed), ""]
    return "\n".join(lines)


def index_page() -> str:
    lines = [
        "# Filer till EST: så lämnar ni dem", "",
        "Varje samverkanspart lämnar sina filer i en egen undermapp till `landing/` i pipelinens datamapp "
        "(t.ex. `data/landing/`). En sida per flöde beskriver mappen, formatet, kolumnerna och de fel ni kan få.", "",
        "| flöde (mapp) | vad | levereras av | sida |", "|---|---|---|---|",
    ]
    for feed in FEEDS.values():
        lines.append(f"| `{feed.name}` | {feed.title_sv} | {feed.partner_sv} | [{feed.name}.md]({feed.name}.md) |")
    lines.append("| `reference` | Områden, platser, adresser, folkmängd, DeSO | Kommunen | [reference.md](reference.md) |")
    lines += [
        "", "## Gemensamt för alla flöden", "",
        "- Samma fil läses in en gång; en rättad fil med samma namn ersätter den gamla.",
        "- En fil som inte alls kan läsas avvisas med ett meddelande (filregistret, `status = rejected`); "
        "övriga filer läses in ändå.",
        "- Enskilda felaktiga rader läggs i karantän med fil, rad, kolumn och orsak; resten av filen läses in. "
        "För varje fil gäller: rader in = inlästa rader + rader i karantän.",
        "- En fil med bara rubrikraden tas emot som en leverans för en period utan händelser och syns som "
        "\"inga rader\" i filregistret. En tom fil (0 byte) avvisas (`empty_file`).",
        "- Samma post i en ny fil (vilket filnamn eller vilken teckenkodning som helst) räknas en gång; den senaste "
        "leveransen gäller. Vad som identifierar en post står på varje flödes sida.",
        "- En fil där för många rader inte går att läsa hålls inne (`status = held`) tills en rättad fil kommer "
        "med samma namn eller förvaltningen godkänner den; allt annat läses in som vanligt under tiden.",
        "- Personuppgifter (personnummer, samordningsnummer, telefonnummer, e-postadresser, registreringsnummer) "
        "maskeras i alla kolumner och i felmeddelanden innan något sparas i databasen; originalfilen finns bara i "
        "arkivet. Namn känns inte igen: skriv aldrig namn.",
        "- Filen ska sluta med en radbrytning (det gör den när Excel sparar den); annars kan sista raden inte skiljas "
        "från en avklippt fil och läggs i karantän (`truncated_record`).",
        "- Datum: ÅÅÅÅ-MM-DD rekommenderas. D/M/ÅÅÅÅ och ÅÅÅÅMMDD går bra när filen är entydig.", "",
    ]
    return "\n".join(lines)


def pages() -> dict[str, str]:
    out = {f"{feed.name}.md": feed_page(feed) for feed in FEEDS.values()}
    out["reference.md"] = reference_page()
    out["README.md"] = index_page()
    return out


def write(target: Path = DOCS_DIR) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name, text in pages().items():
        (target / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else DOCS_DIR)
