"""Which place and area each event point lies in (point-in-polygon).

DuckDB has no spatial extension here, so this step is Python: pyproj brings WGS84 points
(municipal fault reports) to SWEREF 99 TM, the polygons' system; shapely's STRtree finds
the containing place and area for all points at once (est_pipeline.lib.geo). Only events
with coordinates come here; int_events__harmonised combines this with places reported by
id and with the address register.
"""

import pyarrow as pa

SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("east_sweref", pa.float64()),
        ("north_sweref", pa.float64()),
        ("point_place_id", pa.string()),
        ("point_area_id", pa.string()),
    ]
)


def model(dbt, session):
    dbt.config(materialized="table")
    from est_pipeline.lib.geo import PolygonIndex, to_sweref

    events = (
        dbt.ref("int_events__unioned")
        .filter("coord_x is not null and coord_y is not null")
        .select("event_id, coord_x, coord_y, coord_crs")
        .order("event_id")
        .to_arrow_table()
    )
    places = (
        dbt.ref("stg_reference__places")
        .filter("geometry_wkt is not null")
        .select("place_id, geometry_wkt")
        .to_arrow_table()
    )
    areas = (
        dbt.ref("stg_reference__areas")
        .filter("geometry_wkt is not null")
        .select("area_id, geometry_wkt")
        .to_arrow_table()
    )

    east, north = to_sweref(
        events.column("coord_x").to_numpy(zero_copy_only=False),
        events.column("coord_y").to_numpy(zero_copy_only=False),
        events.column("coord_crs").to_numpy(zero_copy_only=False),
    )
    place_index = PolygonIndex(places.column("place_id").to_pylist(), places.column("geometry_wkt").to_pylist())
    area_index = PolygonIndex(areas.column("area_id").to_pylist(), areas.column("geometry_wkt").to_pylist())

    return pa.table(
        {
            "event_id": events.column("event_id"),
            "east_sweref": pa.array(east, type=pa.float64(), from_pandas=True),
            "north_sweref": pa.array(north, type=pa.float64(), from_pandas=True),
            "point_place_id": pa.array(place_index.locate(east, north).tolist(), type=pa.string()),
            "point_area_id": pa.array(area_index.locate(east, north).tolist(), type=pa.string()),
        },
        schema=SCHEMA,
    )
