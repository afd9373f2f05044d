"""The public police events API, as its JSON arrives: municipal context, never area counts.

The quirks are the real ones: ``datetime`` is the publication time with the hour not
zero-padded and a UTC offset; ``name`` carries the incident time without a year (so an
incident on 31 December published on 1 January needs its year inferred; one such record is
planted at every year end); ``url`` is relative; ``location.gps`` is the centroid of the
municipality or county, not of the incident; from 2026 the location is always the county;
and many records are night summaries rather than incidents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from pyproj import Transformer

from est_pipeline.demo.formats import period_keys, write_json
from est_pipeline.demo.output import Output
from est_pipeline.demo.vocabulary import SUMMARY_TYPE, UNKNOWN_TYPES, Vocabulary

MONTHS_SV = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
             "september", "oktober", "november", "december"]
_TZ = ZoneInfo("Europe/Stockholm")
_to_wgs84 = Transformer.from_crs("EPSG:3006", "EPSG:4326", always_xy=True)
_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e"})
_SUMMARY_TEXT = ["Natten har varit relativt lugn i länet.",
                 "Flera ordningsstörningar under natten, inga allvarliga skador.",
                 "Polisen har haft en händelserik natt med bland annat bränder och bråk."]
_INCIDENT_TEXT = ["Polisen är på plats.", "Ingen person skadad enligt uppgift.",
                  "Ärendet utreds vidare.", "En person har tagits med till förhör."]
COUNTY_FROM_YEAR = 2026


@dataclass
class MunicipalityPoint:
    code: str
    name: str
    county: str
    centre: tuple[float, float]  # SWEREF 99 TM


def _slug(text: str) -> str:
    return "-".join(text.lower().translate(_FOLD).replace(",", "").split())


def _gps(e: float, n: float) -> str:
    lon, lat = _to_wgs84.transform(e, n)
    return f"{lat:.6f},{lon:.6f}"


def _record(rid: int, incident: datetime, published: datetime, typ: str, location: str,
            gps: str, summary: str) -> dict:
    pub = published.replace(tzinfo=_TZ)
    off = pub.strftime("%z")
    stamp = f"{pub:%Y-%m-%d} {pub.hour}:{pub:%M:%S} {off[:3]}:{off[3:]}"
    when = f"{incident.day:02d} {MONTHS_SV[incident.month - 1]} {incident:%H.%M}"
    return {
        "id": rid,
        "datetime": stamp,
        "name": f"{when}, {typ}, {location}",
        "summary": summary,
        "url": f"/aktuellt/handelser/{incident.year}/{MONTHS_SV[incident.month - 1]}/"
               f"{incident.day}/{_slug(when)}-{_slug(typ)}-{_slug(location)}/",
        "type": typ,
        "location": {"name": location, "gps": gps},
    }


def write_events_api(points: list[MunicipalityPoint], vocab: Vocabulary, first: date, end_excl: date,
                     file_period: str, out: Output, rng: np.random.Generator) -> None:
    types = [t for ts in vocab.types.get("police_events", {}).values() for t in ts]
    unknown = UNKNOWN_TYPES["police_events"]
    counties: dict[str, list[MunicipalityPoint]] = {}
    for p in points:
        counties.setdefault(p.county, []).append(p)
    start = datetime.combine(first, datetime.min.time())
    stop = datetime.combine(end_excl, datetime.min.time())
    n_weeks = (end_excl - first).days // 7

    drafts = []  # (published, incident, type, location, gps, summary, kind)
    for county, munis in counties.items():
        ce = np.mean([m.centre[0] for m in munis])
        cn = np.mean([m.centre[1] for m in munis])
        county_gps = _gps(ce, cn)
        muni_gps = {m.code: _gps(*m.centre) for m in munis}
        for w in range(n_weeks):
            week0 = start + timedelta(weeks=w)
            for _ in range(int(rng.poisson(5.0))):
                incident = week0 + timedelta(minutes=int(rng.integers(0, 7 * 1440)))
                if rng.random() < 0.4:
                    incident = incident.replace(hour=int(rng.integers(5, 8)))
                    drafts.append((incident + timedelta(minutes=int(rng.integers(2, 30))), incident,
                                   SUMMARY_TYPE, county, county_gps,
                                   _SUMMARY_TEXT[int(rng.integers(len(_SUMMARY_TEXT)))], "summary"))
                    continue
                is_unknown = rng.random() < 0.15 or not types
                typ = unknown[int(rng.integers(len(unknown)))] if is_unknown else types[int(rng.integers(len(types)))]
                m = munis[int(rng.integers(len(munis)))]
                published = incident + timedelta(minutes=int(rng.integers(10, 300)))
                drafts.append((published, incident, typ, m.name, muni_gps[m.code],
                               _INCIDENT_TEXT[int(rng.integers(len(_INCIDENT_TEXT)))],
                               "unknown_type" if is_unknown else ""))
        # One incident late on New Year's Eve, published after midnight, at every year end.
        for y in range(first.year, end_excl.year):
            eve = datetime(y, 12, 31, 23, int(rng.integers(20, 56)))
            if start <= eve and eve + timedelta(hours=2) < stop:
                m = munis[0]
                typ = types[0] if types else SUMMARY_TYPE
                drafts.append((eve + timedelta(minutes=int(rng.integers(25, 90))), eve, typ, m.name,
                               muni_gps[m.code], "Brand i samband med nyårsfirandet.", "year_end"))

    drafts = [d for d in drafts if start <= d[0] < stop]
    drafts.sort(key=lambda d: (d[0], d[3], d[2]))
    records, kinds, pub_days = [], [], []
    for i, (published, incident, typ, location, gps, summary, kind) in enumerate(drafts):
        if published.year >= COUNTY_FROM_YEAR:  # since 2026 the API names the county
            county = next(p.county for p in points if p.name == location or p.county == location)
            location = county
            ce = np.mean([m.centre[0] for m in counties[county]])
            cn = np.mean([m.centre[1] for m in counties[county]])
            gps = _gps(ce, cn)
        records.append(_record(400000 + i + 1, incident, published, typ, location, gps, summary))
        kinds.append(kind)
        pub_days.append((published.date() - date(1970, 1, 1)).days)

    keys = period_keys(np.array(pub_days, dtype=np.int64), file_period) if records else np.array([])
    for key in sorted(set(keys)):
        idx = [i for i in range(len(records)) if keys[i] == key][::-1]  # newest first, as the API
        name = f"polisen_handelser_{key}.json"
        written = write_json(out.path("police_events", name), [records[i] for i in idx])
        dirt = np.array(["unknown_type" if kinds[i] == "unknown_type" else "" for i in idx], dtype=object)
        quirks = {
            "summaries": sum(kinds[i] == "summary" for i in idx),
            "year_end_crossings": sum(kinds[i] == "year_end" for i in idx),
            "county_location": sum(records[i]["location"]["name"].endswith(" län")
                                   and records[i]["type"] != SUMMARY_TYPE for i in idx),
        }
        out.record("police_events", name, written, dirt, quirks=quirks)
        out.add_reports("police_events", name, 1, [str(records[i]["id"]) for i in idx], [None] * len(idx),
                        dirt, [None] * len(idx), [None] * len(idx), np.zeros(len(idx), bool))
