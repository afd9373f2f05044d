"""The public police events API (JSON), with its quirks.

``datetime`` is the publication time with unpadded hours; ``name`` carries the incident
time without a year ("07 juni 00.23, Brand, Malmö"), so the year is taken from the
publication and stepped back across a year end; many records are summaries.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from est_pipeline.lib import dates
from est_pipeline.ingest.spec import Column, Feed, RowProblem

MONTHS_SV = {
    "januari": 1, "februari": 2, "mars": 3, "april": 4, "maj": 5, "juni": 6,
    "juli": 7, "augusti": 8, "september": 9, "oktober": 10, "november": 11, "december": 12,
}
_PUBLISHED = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*(?:([+-])(\d{1,2}):?(\d{2})|Z)?$"
)
_NAME_TIME = re.compile(r"^\s*(\d{1,2})\s+([a-zåäö]+)\s+(\d{1,2})[.:](\d{2})", re.IGNORECASE)


def parse_published(text: str) -> datetime:
    m = _PUBLISHED.match(text.strip())
    if not m:
        raise RowProblem("invalid_date", f"publiceringstiden '{text}' kan inte läsas")
    offset = timedelta(0)
    if m[7]:
        offset = timedelta(hours=int(m[8]), minutes=int(m[9]))
        offset = -offset if m[7] == "-" else offset
    try:
        return datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6] or 0),
                        tzinfo=timezone(offset))
    except ValueError:
        raise RowProblem("invalid_date", f"'{text}' är ingen giltig tidpunkt") from None


def incident_time(name: str, published: datetime) -> datetime | None:
    """The incident time from ``name``; the year is the publication's, or the one before
    when the incident's day falls after the publication day (published in January about
    a December night)."""
    m = _NAME_TIME.match(name or "")
    if not m or m[2].lower() not in MONTHS_SV:
        return None
    month, day = MONTHS_SV[m[2].lower()], int(m[1])
    year = published.year - (1 if (month, day) > (published.month, published.day) else 0)
    try:
        return datetime(year, month, day, int(m[3]), int(m[4]))
    except ValueError:
        return None


def parse_gps(text: str) -> tuple[float, float]:
    parts = text.split(",")
    try:
        lat, lon = (float(p) for p in parts)
    except ValueError:
        raise RowProblem("invalid_coordinates", f"location.gps '{text}' ska vara 'lat,lon'") from None
    return lat, lon


def row_hook(row: dict[str, Any], cells: dict[str, Any], arrived: datetime) -> None:
    published: datetime = row["published_at"]
    local_naive = published.replace(tzinfo=None)
    try:
        dates.check_plausible(local_naive, arrived)
    except dates.DateValueError as exc:
        raise RowProblem(exc.code, str(exc)) from None
    gps = row.pop("gps", None)
    row["gps_lat"], row["gps_lon"] = gps if gps else (None, None)
    row["incident_at"] = incident_time(row["name"], local_naive)
    kind = f"{row.get('type') or ''} {row.get('name') or ''}".casefold()
    row["is_summary"] = "sammanfattning" in kind


FEED = Feed(
    name="police_events",
    table="police_events",
    formats=("json",),
    encodings=("utf-8",),
    event_date=("incident_at", "published_at"),
    record_key=("id",),
    record_key_sv="id",
    coordinates=(("gps_lat", "gps_lon", "wgs84"),),
    row_hook=row_hook,
    title_sv="Polisens händelser (öppna API:et, JSON)",
    partner_sv="Polisen (öppna data från polisen.se/api/events)",
    notes_sv=(
        "Filen är svaret från polisens API sparat som det är: en JSON-lista med objekt.",
        "`datetime` är publiceringstiden (timmen får sakna inledande nolla, "
        "`2025-06-07 7:32:06 +02:00`). Händelsetiden läses ur `name` (`07 juni 00.23, Brand, "
        "Malmö`); året tas från publiceringen och blir året före om dagen ligger efter "
        "publiceringsdagen.",
        "`location.name` är en kommun (`Malmö`) eller, sedan 2026, bara länet (`Skåne län`); "
        "`location.gps` är kommunens eller länets mittpunkt, inte händelsens plats. Flödet "
        "räknas därför aldrig per område. Veckorapporten visar kommunens egna händelser på en "
        "rad och de händelser som polisen bara anger till länet på en egen rad, som länets "
        "händelser: de kan ha skett var som helst i länet. Länsnamnet känns igen även "
        "med andra stora/små bokstäver och utan `län` (`skåne län`, `Skåne`).",
        "Sammanfattningar (`Sammanfattning natt` m.fl.) markeras med is_summary.",
        "Pipelinen kan hämta flödet själv: ange orterna i inställningen "
        "`EST_POLICE_EVENTS_LOCATIONS` (t.ex. `Örebro,Örebro län`), så hämtas API:et varje "
        "timme och varje nytt svar sparas oförändrat här som `api_<ort>_<UTC-tid>.json`. "
        "Ett svar som är likadant som det förra sparas inte igen. Ta med länet: sedan 2026 "
        "anger polisen bara länet, och de händelserna kommer bara med när länet hämtas.",
    ),
    columns=(
        Column("id", "id", "bigint"),
        Column("published_at", "datetime", "timestamptz", parse=parse_published,
               description="Publiceringstid med tidszon"),
        Column("name", "name", description="`07 juni 00.23, Brand, Malmö`"),
        Column("summary", "summary", masked=True, nullable=True),
        Column("url", "url", nullable=True, description="Får vara relativ"),
        Column("type", "type"),
        Column("location_name", "location.name", nullable=True),
        Column("gps", "location.gps", nullable=True, parse=parse_gps, in_table=False,
               description="`lat,lon`"),
        Column("gps_lat", "gps_lat", "double", derived=True),
        Column("gps_lon", "gps_lon", "double", derived=True),
        Column("incident_at", "incident_at", "timestamp", derived=True),
        Column("is_summary", "is_summary", "boolean", derived=True),
    ),
)
