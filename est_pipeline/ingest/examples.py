"""Small, valid example files for every feed, exactly in the documented shapes.

They are what a partner's file should look like (the partner pages quote them) and the
known-good input of the ingest tests, written independently of the demo generator.
"""

from __future__ import annotations

import json
from pathlib import Path

POLICE_DESO = (
    '"","Id","Brottskod","Brottskod.klartext","Inskrivningsdatum","Brottsdatum","Kommun","Län","DeSO.område","Antal"\n'
    '"1","P-1001","1211","Bilbrand","2024-03-05","2024-03-04","Norrvik","Norrviks län","9001A0010","1"\n'
    '"2","P-1002","0357","Misshandel","2024-03-06","NA","Norrvik","Norrviks län","NA","1"\n'
    '"3","P-1003","1202","Klotter","2024-03-07","2024-03-09","Norrvik","Norrviks län","9001B0020","2"\n'
)
POLICE_LOCAL = (
    "\ufeffHändelsenummer;Händelsetid;Brottskod;Händelsetyp;Plats;Nord;Öst\n"
    "H-501;2024-03-05 22:14;1214;Skadegörelse;Torget vid busshållplatsen;6580123;512345\n"
    "H-502;2024-03-06 23:40;0357;Misshandel;Parken, vittne nås på 070-123 45 67;6580456,5;512789,25\n"
    "H-503;2024-03-08 01:05;;Ordningsstörning;Skolgården;6579900;511900\n"
)
FAULT_REPORTS = (
    "Ärendenummer;Registrerad;Ärendetyp;Beskrivning;Adress;Latitud;Longitud\n"
    "F-2024-001;2024-03-04 08:12;Klotter;Klotter på fasaden, anmält av anna.svensson@example.se;Storgatan 1;59,3293;18,0686\n"
    "F-2024-002;2024-03-05 14:02;Trasig belysning;Lampan vid gångvägen är trasig;;59,3301;18,0702\n"
    "F-2024-003;2024-03-07 10:30;Nedskräpning;Skräp vid återvinningen;Parkvägen 3;59,3288;18,0650\n"
)
FIELD_OBSERVATIONS = (
    "Datum;Plats-ID;Plats;Antal ungdomar;Stämning;Observation;Kommentar\n"
    "2024-03-04;NV01-P01;Torget;12;gul;Ungdomsgrupp;Lugnt efter kl 22\n"
    "2024-03-05;NV01-P02;Parken;5;Grön;Mopedåkning;Moped ABC 123 körde på gångvägen\n"
    "2024-03-08;NV02-P01;Skolgården;20;orange;Ungdomsgrupp;\n"
)
CHECKLIST = (
    "Vecka;Partner;Områdes-ID;Plats-ID;Checklistpunkt;Bedömning;Kommentar;Inskickad\n"
    "2024-W10;Kommun;NV01;NV01-P01;Klotter;gul;Nytt klotter på torget;2024-03-08 09:00\n"
    "2024-W10;Polis;NV01;;Öppen narkotikahandel;Röd;Tips från 19811218-9876;2024-03-08 10:15\n"
    "2024-W10;Fastighetsbolag;NV02;NV02-P03;Nedskräpning;grön;;\n"
)
INTERVENTIONS = (
    "Insats-ID;Beslutsdatum;Områdes-ID;Plats-ID;Insatstyp;Ansvarig;Startdatum;Slutdatum;Intensitet;Kostnad (kr);Beskrivning\n"
    "I-001;2024-01-15;NV01;NV01-P02;Förbättrad belysning;Kommun, Fastighetsbolag;2024-02-01;;medel;125 000;Nya armaturer i parken\n"
    "I-002;2024-02-10;NV02;;Polisiär närvaro;Polis;2024-02-15;2024-05-31;hög;;Fotpatrull fredagar\n"
)
SAFETY_SURVEY = (
    "Svars-ID,År,Områdes-ID,Åldersgrupp,Trygg_dag,Trygg_kvall,Oro_brott,Problem_ordning\n"
    "S-1,2023,NV01,16-29,4,3,2,2\n"
    "S-2,2023,NV01,30-64,3,,3,4\n"
    "S-3,2023,NV02,65+,2,1,5,5\n"
)
POLICE_EVENTS = [
    {"id": 501234, "datetime": "2024-03-07 7:32:06 +01:00", "name": "07 mars 00.23, Brand, Norrvik",
     "summary": "Brand i soprum, ring 08-123 456 78 för info.", "url": "/aktuellt/handelser/2024/mars/7/brand-norrvik/",
     "type": "Brand", "location": {"name": "Norrvik", "gps": "59.3293,18.0686"}},
    {"id": 501235, "datetime": "2024-01-01 9:05:00 +01:00", "name": "31 december 23.50, Misshandel, Norrvik",
     "summary": "En person skadad.", "url": "/aktuellt/handelser/2024/januari/1/misshandel/",
     "type": "Misshandel", "location": {"name": "Norrvik", "gps": "59.3293,18.0686"}},
    {"id": 501236, "datetime": "2024-03-08 6:00:00 +01:00", "name": "08 mars 06.00, Sammanfattning natt, Norrviks län",
     "summary": "Lugn natt.", "url": "/aktuellt/handelser/2024/mars/8/sammanfattning-natt/",
     "type": "Sammanfattning natt", "location": {"name": "Norrviks län", "gps": "59.5,17.9"}},
]
PROPERTY_HEADER = ["Ärende-ID", "Datum", "Ärendetyp", "Adress", "Fastighet", "Kostnad (kr)", "Beskrivning"]
PROPERTY_ROWS = [
    ["B-77", "2024-03-04 21:00", "Störning i trapphus", "Storgatan 1", "Norrvik 1:1", 0, "Hög musik"],
    ["B-78", "2024-03-06 03:10", "Brand i soprum", "Storgatan 3", "Norrvik 1:2", 15000.5, "Kontakt: 0701234567"],
    ["B-79", "2024-03-07 12:00", "Förrådsinbrott", "Parkvägen 3", None, None, "Förråd 12 uppbrutet"],
]

AREAS = {
    "type": "FeatureCollection",
    "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3006"}},
    "features": [
        {"type": "Feature", "properties": {"area_id": "NV01", "area_name": "Centrum", "municipality_code": "9001",
                                           "municipality_name": "Norrvik"},
         "geometry": {"type": "Polygon", "coordinates": [[[510000, 6578000], [514000, 6578000], [514000, 6582000],
                                                          [510000, 6582000], [510000, 6578000]]]}},
        {"type": "Feature", "properties": {"area_id": "NV02", "area_name": "Norra", "municipality_code": "9001",
                                           "municipality_name": "Norrvik"},
         "geometry": {"type": "Polygon", "coordinates": [[[510000, 6582000], [514000, 6582000], [514000, 6586000],
                                                          [510000, 6586000], [510000, 6582000]]]}},
    ],
}
PLACES = {
    "type": "FeatureCollection",
    "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3006"}},
    "features": [
        {"type": "Feature", "properties": {"place_id": "NV01-P01", "area_id": "NV01", "place_name": "Torget",
                                           "place_type": "public", "place_kind": "square"},
         "geometry": {"type": "Point", "coordinates": [512000, 6580000]}},
        {"type": "Feature", "properties": {"place_id": "NV01-P02", "area_id": "NV01", "place_name": "Tvättstugan",
                                           "place_type": "semi_public", "place_kind": "laundry_room"},
         "geometry": {"type": "Point", "coordinates": [512500, 6580500]}},
    ],
}
ADDRESSES = (
    "Adress;Postnummer;Ort;Plats-ID;Områdes-ID;Fastighet\n"
    "Storgatan 1;900 01;Norrvik;NV01-P01;NV01;Norrvik 1:1\n"
    "Parkvägen 3;900 02;Norrvik;;NV01;\n"
)
POPULATION = "Områdes-ID;År;Folkmängd\nNV01;2023;4200\nNV02;2023;3100\n"
AREA_DESO = "Områdes-ID;DeSO;Andel\nNV01;9001A0010;0,6\nNV02;9001A0010;0,4\nNV02;9001B0020;\n"
#: A municipality without boundaries: each area is the list of DeSO areas it is made of.
AREA_DESO_LIST = (
    "Områdes-ID;DeSO;Andel;Områdesnamn\n"
    "NV01;9001A0010;;Centrum\n"
    "NV01;9001A0020;;Centrum\n"
    "NV02;9001B0020;;Norra\n"
)
DESO_POPULATION = "DeSO;År;Folkmängd\n9001A0010;2023;1850\n9001A0020;2023;2350\n9001B0020;2023;1900\n"

#: feed folder -> (file name, rows in the file)
EXAMPLE_ROWS = {
    "police_deso": ("brott_deso_2024-03.csv", 3),
    "police_local": ("handelser_v10.csv", 3),
    "police_events": ("events_2024-03-08.json", 3),
    "fault_reports": ("felanmalningar_v10.csv", 3),
    "field_observations": ("faltobservationer_v10.csv", 3),
    "property_incidents": ("arenden_2024-03.xlsx", 3),
    "checklist": ("checklista_v10.csv", 3),
    "interventions": ("insatser.csv", 2),
    "safety_survey": ("trygghetsmatning_2023.csv", 3),
}


def write_property_xlsx(path: Path, header: list, rows: list[list], title: str | None = None) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append([title])
        ws.append([])
    ws.append(header)
    for row in rows:
        ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def write_examples(landing: Path, reference: bool = True) -> dict[str, Path]:
    """Write one example file per feed under ``landing/<feed>/``; returns feed -> path."""
    texts = {
        "police_deso": (POLICE_DESO, "utf-8"),
        "police_local": (POLICE_LOCAL, "utf-8"),
        "fault_reports": (FAULT_REPORTS, "cp1252"),
        "field_observations": (FIELD_OBSERVATIONS, "utf-8"),
        "checklist": (CHECKLIST, "cp1252"),
        "interventions": (INTERVENTIONS, "cp1252"),
        "safety_survey": (SAFETY_SURVEY, "utf-8"),
    }
    out: dict[str, Path] = {}
    for feed, (text, encoding) in texts.items():
        path = landing / feed / EXAMPLE_ROWS[feed][0]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode(encoding))
        out[feed] = path
    events = landing / "police_events" / EXAMPLE_ROWS["police_events"][0]
    events.parent.mkdir(parents=True, exist_ok=True)
    events.write_text(json.dumps(POLICE_EVENTS, ensure_ascii=False, indent=1), encoding="utf-8")
    out["police_events"] = events
    prop = landing / "property_incidents" / EXAMPLE_ROWS["property_incidents"][0]
    write_property_xlsx(prop, PROPERTY_HEADER, PROPERTY_ROWS, title="Ärenderapport Bostads AB Norrvik, 2024-03")
    out["property_incidents"] = prop
    if reference:
        ref = landing / "reference"
        ref.mkdir(parents=True, exist_ok=True)
        (ref / "areas.geojson").write_text(json.dumps(AREAS), encoding="utf-8")
        (ref / "places.geojson").write_text(json.dumps(PLACES), encoding="utf-8")
        (ref / "addresses.csv").write_text(ADDRESSES, encoding="utf-8")
        (ref / "population.csv").write_text(POPULATION, encoding="utf-8")
        (ref / "area_deso.csv").write_text(AREA_DESO, encoding="utf-8")
        (ref / "deso_population.csv").write_text(DESO_POPULATION, encoding="utf-8")
        out["reference"] = ref
    return out
