"""The interventions register (insatsregister): the whole register in one file.

The EST group keeps one register and re-exports all of it each time, so the demo writes a
single ``insatsregister.csv`` (semicolon, Windows-1252, as Excel on a municipal PC saves
it) holding every municipality's decided interventions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from est_pipeline.demo import freetext
from est_pipeline.demo.formats import write_delimited
from est_pipeline.demo.output import Output

FILE_NAME = "insatsregister.csv"
HEADER = ["Insats-ID", "Beslutsdatum", "Områdes-ID", "Plats-ID", "Insatstyp", "Ansvarig",
          "Startdatum", "Slutdatum", "Intensitet", "Kostnad (kr)", "Beskrivning"]


def write_register(table: pd.DataFrame, out: Output, rng: np.random.Generator) -> None:
    iso = lambda col: np.array([None if v is None or pd.isna(v) else v.isoformat() for v in table[col]], dtype=object)  # noqa: E731
    cost = np.array([None if v is None or pd.isna(v) else f"{int(v)}" for v in table["cost_sek"]], dtype=object)
    text, pii = freetext.add_pii(table["description"].to_numpy(dtype=object), 0.02, rng)
    n = write_delimited(
        out.path("interventions", FILE_NAME), HEADER,
        [table["intervention_id"].to_numpy(dtype=object), iso("decided_date"),
         table["area_id"].to_numpy(dtype=object), table["place_id"].to_numpy(dtype=object),
         table["intervention_type_sv"].to_numpy(dtype=object), table["responsible"].to_numpy(dtype=object),
         iso("start_date"), iso("end_date"), table["intensity"].to_numpy(dtype=object), cost, text],
        sep=";", encoding="cp1252", newline="\r\n")
    out.record("interventions", FILE_NAME, n, None, pii)
