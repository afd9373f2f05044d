"""Weekly checklist form exports from the three partners.

Each partner rates the checklist items that concern what it sees (the items whose category
its own feeds report), for each area and week, sometimes for one place instead of the whole
area. The rating follows the week's true events against the area's usual level, with
noise, so a red week is usually a bad week. Police and municipality export CSV
(semicolon, Windows-1252); the housing company's form tool exports XLSX.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from est_pipeline.demo import freetext
from est_pipeline.demo.formats import fmt_minute, period_keys, to_datetimes, write_delimited, write_xlsx
from est_pipeline.demo.geography import Municipality
from est_pipeline.demo.model import MIN_PER_DAY, Events
from est_pipeline.demo.output import Output
from est_pipeline.demo.vocabulary import Vocabulary

PARTNERS = {
    # partner label -> (file slug, feeds whose categories it rates, place type it rates)
    "Polis": ("polis", ("police_local",), "public"),
    "Kommun": ("kommun", ("fault_reports", "field_observations"), "public"),
    "Fastighetsbolag": ("fastighetsbolag", ("property_incidents",), "semi_public"),
}
RATINGS = np.array(["grön", "gul", "orange", "röd"], dtype=object)
_EPOCH = date(1970, 1, 1)
HEADER = ["Vecka", "Partner", "Områdes-ID", "Plats-ID", "Checklistpunkt", "Bedömning",
          "Kommentar", "Inskickad"]


def write_checklists(muni: Municipality, events: Events, vocab: Vocabulary, week_starts: list[date],
                     file_period: str, out: Output, rng: np.random.Generator) -> None:
    cats = vocab.categories
    items = [(text, cats.index(c)) for text, c in vocab.checklist_items() if c in cats]
    n_areas, n_weeks = len(muni.areas), len(week_starts)
    # Events per area x week x category as the partners experienced them.
    ev = events.frame
    seen = np.zeros((n_areas, n_weeks, len(cats)))
    np.add.at(seen, (ev["area_idx"].to_numpy(), ev["week_idx"].to_numpy(), ev["cat_idx"].to_numpy()), 1)
    usual = events.mu.mean(axis=1, keepdims=True)
    level = muni.areas["level"].to_numpy()
    z_level = (level - level.mean()) / (level.std() + 1e-9)
    labels = np.array([f"{w.isocalendar()[0]}-W{w.isocalendar()[1]:02d}" for w in week_starts], dtype=object)
    monday_days = np.array([(w - _EPOCH).days for w in week_starts], dtype=np.int64)

    for partner, (slug, feeds, place_type) in PARTNERS.items():
        feed_cats = {c for f in feeds for c in vocab.types.get(f, {})}
        mine = [(t, j) for t, j in items if cats[j] in feed_cats]
        if not mine:
            continue
        texts = np.array([t for t, _ in mine], dtype=object)
        cidx = np.array([j for _, j in mine])
        # All area x week x item combinations; about 5% of weeks an area's form is not sent.
        w, a, i = np.meshgrid(np.arange(n_weeks), np.arange(n_areas), np.arange(len(mine)), indexing="ij")
        w, a, i = w.ravel(), a.ravel(), i.ravel()
        sent = rng.random((n_areas, n_weeks)) >= 0.05
        keep = sent[a, w]
        a, w, i = a[keep], w[keep], i[keep]
        n = len(a)
        c = cidx[i]
        score = np.log((seen[a, w, c] + 0.5) / (usual[a, 0, c] + 0.5)) + 0.35 * z_level[a] \
            + rng.normal(0.0, 0.6, size=n)
        rating = np.digitize(score, [-0.2, 0.5, 1.1])
        off, idx = muni.places_of_type(place_type)
        place = np.full(n, None, dtype=object)
        at_place = rng.random(n) < 0.2
        k = off[a] + (rng.random(n) * (off[a + 1] - off[a])).astype(np.int64)
        place[at_place] = muni.places["place_id"].to_numpy()[idx[k[at_place]]]
        comment = np.full(n, "", dtype=object)
        has = rng.random(n) < 0.15
        comment[has] = freetext.pick(freetext.CHECKLIST_TEXT, int(has.sum()), rng)
        named = has & (rng.random(n) < 0.05)
        comment[named] = freetext.pick(freetext.NAMED_COMMENTS, int(named.sum()), rng)
        comment, pii = freetext.add_pii(comment, 0.02, rng)
        comment = np.where(comment == "", None, comment)
        # Sent on the Friday afternoon of the week, or the Monday after; sometimes not stamped.
        sent_day = monday_days[w] + np.where(rng.random(n) < 0.8, 4, 7)
        sent_t = sent_day * MIN_PER_DAY + rng.integers(8 * 60, 17 * 60, size=n)
        stamped = rng.random(n) >= 0.04
        area_ids = muni.areas["area_id"].to_numpy()

        keys = period_keys(monday_days[w], file_period)
        for key, rows in sorted(pd.Series(keys).groupby(keys, sort=True).indices.items()):
            if slug == "fastighetsbolag":
                name = f"checklista_{slug}_{muni.code}_{key}.xlsx"
                when = np.array(to_datetimes(sent_t[rows]), dtype=object)
                when[~stamped[rows]] = None
                written = write_xlsx(
                    out.path("checklist", name), HEADER,
                    [labels[w[rows]], np.full(len(rows), partner, dtype=object), area_ids[a[rows]],
                     place[rows], texts[i[rows]],
                     np.char.capitalize(RATINGS[rating[rows]].astype(str)).astype(object),  # form tool capitalises
                     comment[rows], when], sheet="Checklista")
            else:
                name = f"checklista_{slug}_{muni.code}_{key}.csv"
                when = np.where(stamped[rows], fmt_minute(sent_t[rows]), None)
                written = write_delimited(
                    out.path("checklist", name), HEADER,
                    [labels[w[rows]], np.full(len(rows), partner, dtype=object), area_ids[a[rows]],
                     place[rows], texts[i[rows]], RATINGS[rating[rows]], comment[rows], when],
                    sep=";", encoding="cp1252", newline="\r\n")
            out.record("checklist", name, written, None, pii[rows])
