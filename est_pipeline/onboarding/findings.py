"""What the onboarding check can report: one stable English code per kind of finding.

A finding is an error (the pipeline would load wrong or incomplete reference data, so fix
it before the first run) or a warning (the pipeline runs, but the analyst should know).
Besides the codes below, a finding can carry the ingest's own codes (``unknown_crs``,
``missing_required_column``, ``invalid_geometry``, ``invalid_format`` ...): the check reads
every file with the same code the ingest uses, so it reports what the ingest would refuse
or quarantine, with the same code and message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"
SEVERITY_SV = {ERROR: "FEL", WARNING: "VARNING"}


@dataclass
class Finding:
    code: str
    severity: str
    #: Swedish, standing on its own: what is wrong and what to do.
    message: str
    #: The file concerned, relative to the landing folder (``reference/area_deso.csv``).
    file: str | None = None
    #: Further Swedish lines: the rows or ids concerned (a few examples when there are many).
    details: list[str] = field(default_factory=list)


#: The check's own codes: code -> (severity, what it means in English). The Swedish text
#: of each finding is written where it is found; docs/onboarding*.md explain every code.
RULES: dict[str, tuple[str, str]] = {
    "reference_folder_missing": (ERROR, "There is no landing/reference/ folder."),
    "areas_missing": (ERROR, "No areas: neither a boundary file nor area names (Områdesnamn) in area_deso.csv."),
    "area_deso_missing": (ERROR, "area_deso.csv is missing but needed: there is a police DeSO extract, "
                                 "population per DeSO, or areas defined only by DeSO codes."),
    "population_missing": (ERROR, "Neither population.csv (per area) nor deso_population.csv (per DeSO)."),
    "multiple_files_for_table": (WARNING, "Two files for one table (e.g. areas.geojson and areas.gpkg): "
                                          "the one that arrived last is used."),
    "unknown_reference_file": (ERROR, "A file in reference/ whose name is not one of the accepted names."),
    "incomplete_shapefile": (ERROR, "A shapefile part (.dbf, .prj ...) without its .shp, or a .shp without "
                                    "its .shx/.dbf."),
    "duplicate_area_id": (ERROR, "The same area id appears on two features of the boundary file."),
    "invalid_polygon": (WARNING, "A polygon is not valid (e.g. self-intersecting); it is repaired when events "
                                 "are located, but should be fixed in the GIS."),
    "overlapping_areas": (WARNING, "Two areas overlap (more than 1 m²); an event there is counted in one of them."),
    "duplicate_link": (ERROR, "The same area and DeSO appear twice in area_deso.csv."),
    "shares_do_not_sum_to_one": (ERROR, "A DeSO linked to two or more areas whose shares do not sum to 1 (±0.01)."),
    "partial_deso_share": (WARNING, "A DeSO linked to one area with a share below 1: the rest of the DeSO lies "
                                    "outside the EST areas."),
    "area_not_in_boundaries": (ERROR, "An area id in area_deso.csv that is not in the boundary file."),
    "area_without_deso": (ERROR, "An area of the boundary file with no DeSO in area_deso.csv (an error when a "
                                 "police DeSO extract is present, else a warning)."),
    "multiple_municipalities": (WARNING, "The DeSO codes belong to more than one municipality: fine for a "
                                         "multi-municipality deployment, but check it is meant."),
    "area_name_conflict": (WARNING, "One area id with different names (in area_deso.csv, or there and in the "
                                    "boundary file)."),
    "municipality_code_mismatch": (WARNING, "An area's Kommunkod differs from the municipality of its DeSO codes."),
    "area_without_population": (ERROR, "An area with no population for any year (from either population file)."),
    "population_unknown_area": (WARNING, "population.csv has rows for area ids that are not areas."),
    "deso_without_population": (WARNING, "A linked DeSO has no rows in deso_population.csv."),
    "population_years_missing": (WARNING, "Years of the data for which some areas have no population."),
    "unlinked_municipal_deso": (WARNING, "DeSO codes of the municipality in the police extract that are linked to "
                                         "no area: their crimes count as 'not in any area' (not lost)."),
    "municipality_unknown": (WARNING, "The check cannot tell which municipality the deployment is for (pass "
                                      "--kommunkod)."),
    "no_data_dates": (WARNING, "No dated rows in landing/: the first partition cannot be suggested."),
    "partition_start_mismatch": (WARNING, "The partition_start in effect differs from the first week of the data."),
    "settings_invalid": (ERROR, "The settings file or an EST_ environment variable has a value that cannot be used."),
}


def rule(code: str, message: str, file: str | None = None, details: list[str] | None = None,
         severity: str | None = None) -> Finding:
    """A finding of one of the check's own rules (severity from RULES unless given)."""
    return Finding(code, severity or RULES[code][0], message, file, list(details or []))


def examples(items: list[str], limit: int = 8) -> list[str]:
    """At most ``limit`` lines, and how many more there are."""
    if len(items) <= limit:
        return list(items)
    return [*items[:limit], f"... och {len(items) - limit} till"]
