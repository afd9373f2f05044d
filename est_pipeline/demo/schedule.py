"""The treatment schedule: which intervention runs in which area, from when to when.

Interventions are targeted at the worse areas (probability rises with the area's level),
start in different quarters in different areas (staggered adoption), some end and some are
open-ended, and several types overlap in one area: exactly the situation in which naive
two-way fixed effects goes wrong, which later estimation must handle.

Start dates are Mondays and end dates Sundays, so "active in week t" has one meaning
whatever rule a consumer uses (start <= week Monday and end >= week Sunday, or any overlap).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from est_pipeline.demo.geography import Municipality
from est_pipeline.demo.vocabulary import Vocabulary

INTENSITY_SV = ("låg", "medel", "hög")

#: Who carries out each type (register "Ansvarig"); unknown types default to the municipality.
RESPONSIBLE = {
    "lighting_improvement": "Kommun, Fastighetsbolag",
    "evening_outreach": "Kommun",
    "police_patrol": "Polis",
    "camera_surveillance": "Polis, Kommun",
    "graffiti_removal": "Kommun, Fastighetsbolag",
    "safety_walk": "Kommun, Polis, Fastighetsbolag",
    "youth_activity": "Kommun",
    "cleanup": "Fastighetsbolag",
}
#: Types decided for a single public place rather than the whole area.
PLACE_LEVEL = {"lighting_improvement", "camera_surveillance", "graffiti_removal"}
_COST_RANGE = {
    "lighting_improvement": (150_000, 900_000), "camera_surveillance": (200_000, 1_200_000),
    "police_patrol": (0, 0), "safety_walk": (2_000, 15_000),
}
_DESCRIPTION = {
    "lighting_improvement": "Ny LED-belysning längs gångstråket",
    "evening_outreach": "Fältassistenter i området fredag och lördag kväll",
    "police_patrol": "Ökad polisiär närvaro kvällstid",
    "camera_surveillance": "Kamerabevakning enligt tillstånd",
    "graffiti_removal": "Klotter saneras inom 24 timmar",
    "safety_walk": "Trygghetsvandring med boende och partner",
    "youth_activity": "Öppen fritidsverksamhet för unga",
    "cleanup": "Extra städning av gårdar och soprum",
}


@dataclass
class Schedule:
    table: pd.DataFrame  # one row per intervention (ground truth + register source)
    types: list[str]  # English types, the K axis of ``active``
    active: np.ndarray  # bool [areas, K, weeks]


def _first_monday_on_or_after(d: date) -> date:
    return d + timedelta(days=(7 - d.weekday()) % 7)


def build_schedule(muni: Municipality, vocab: Vocabulary, effects: dict[str, float],
                   treatment_share: float, week_starts: np.ndarray,
                   rng: np.random.Generator) -> Schedule:
    types = list(vocab.intervention_types)
    n_areas, n_weeks, k = len(muni.areas), len(week_starts), len(types)
    first, end_excl = week_starts[0], week_starts[-1] + timedelta(days=7)

    # Candidate start dates: the first Monday of each quarter inside the period (of each
    # month when the period is too short for staggering by quarter).
    def firsts(step_months: int) -> list[date]:
        out, y, m = [], first.year, 1 + ((first.month - 1) // step_months) * step_months
        while True:
            monday = _first_monday_on_or_after(date(y, m, 1))
            if monday >= end_excl:
                return out
            if monday > first:
                out.append(monday)
            m += step_months
            if m > 12:
                y, m = y + 1, m - 12

    candidates = firsts(3)
    if len(candidates) < 6:
        candidates = firsts(1)
    # Never in the first candidate (every area keeps a pre-period) nor in the last fifth.
    lo_c = 1 if len(candidates) > 1 else 0
    hi_c = max(lo_c + 1, len(candidates) - max(2, len(candidates) // 5))

    level = muni.areas["level"].to_numpy()
    z = (level - level.mean()) / (level.std() + 1e-9)
    base_logit = np.log(treatment_share / (1 - treatment_share))
    p_treat = 1 / (1 + np.exp(-(base_logit + 0.9 * z)))

    public_off, public_idx = muni.places_of_type("public")
    rows = []
    seq = 0
    for ki, typ in enumerate(types):
        treated = rng.random(n_areas) < p_treat
        order = np.argsort(-z, kind="stable")
        while treated.sum() < min(2, n_areas - 1):  # at least two treated areas
            treated[order[np.flatnonzero(~treated[order])[0]]] = True
        while treated.sum() > n_areas - max(1, n_areas // 3):  # a third stays untreated
            treated[order[::-1][np.flatnonzero(treated[order[::-1]])[0]]] = False
        for a in np.flatnonzero(treated):
            if candidates:
                start = candidates[int(rng.integers(lo_c, min(hi_c, len(candidates))))]
            else:
                start = first + timedelta(weeks=n_weeks // 2)
            end = None
            if rng.random() < 0.45:  # ends after two to six quarters
                end = start + timedelta(weeks=int(rng.integers(2, 7)) * 13) - timedelta(days=1)
                if end >= end_excl:
                    end = None
            place_id = None
            if typ in PLACE_LEVEL:
                lo, hi = public_off[a], public_off[a + 1]
                place_id = muni.places["place_id"].iat[int(public_idx[int(rng.integers(lo, hi))])]
            intensity = INTENSITY_SV[int(rng.choice(3, p=[0.3, 0.5, 0.2]))]
            cost_lo, cost_hi = _COST_RANGE.get(typ, (20_000, 300_000))
            cost = float(round(rng.uniform(cost_lo, cost_hi), -3)) if cost_hi else None
            seq += 1
            rows.append({
                "intervention_id": f"{muni.prefix}-INS-{seq:03d}",
                "municipality_code": muni.code,
                "area_id": muni.areas["area_id"].iat[a],
                "area_idx": int(a),
                "type_idx": ki,
                "place_id": place_id,
                "intervention_type": typ,
                "intervention_type_sv": vocab.intervention_types[typ][0],
                "decided_date": start - timedelta(days=int(rng.integers(14, 60))),
                "start_date": start,
                "end_date": end,
                "intensity": intensity,
                "responsible": RESPONSIBLE.get(typ, "Kommun"),
                "cost_sek": cost,
                "description": _DESCRIPTION.get(typ, "Insats enligt beslut i EST-gruppen"),
                "planted_irr": float(effects.get(typ, 1.0)),
                "target_outcome_group": vocab.intervention_types[typ][1],
            })
    table = pd.DataFrame(rows)
    if len(table):
        table = table.sort_values(["decided_date", "intervention_id"], kind="stable").reset_index(drop=True)
        # Register ids follow the decision order, as a real register would.
        table["intervention_id"] = [f"{muni.prefix}-INS-{i + 1:03d}" for i in range(len(table))]

    active = np.zeros((n_areas, k, n_weeks), dtype=bool)
    ws = np.array(week_starts, dtype="datetime64[D]")
    for r in table.itertuples():
        on = ws >= np.datetime64(r.start_date)
        if r.end_date is not None:
            on &= ws + np.timedelta64(6, "D") <= np.datetime64(r.end_date)
        active[r.area_idx, r.type_idx] |= on
    return Schedule(table=table, types=types, active=active)
