"""Free-text comments, some of which carry personal data that the pipeline must mask.

Personal identity numbers are generated with a valid Luhn check digit (the masker checks
it, so an invalid one would be a false test), in every written form: 10 and 12 digits,
with "-", "+" (age 100 or more) or no separator, and coordination numbers (day + 60).
Ordinary comments are written so that nothing in them looks like personal data: no digit
runs, no capital-letter-plus-digit tokens; that keeps the planted counts exact.
"""

from __future__ import annotations

import numpy as np

PII_KINDS = ("personnummer", "phone", "email", "regnr")
_PII_WEIGHTS = np.array([0.35, 0.30, 0.20, 0.15])

_FIRST = ["anna", "erik", "maria", "johan", "sara", "lars", "emma", "karl", "lina", "nils",
          "elin", "oskar", "ida", "per", "hanna", "anders"]
_LAST = ["andersson", "johansson", "karlsson", "nilsson", "eriksson", "larsson", "olsson",
         "persson", "svensson", "gustafsson", "pettersson", "jonsson"]
_DOMAINS = ["gmail.com", "hotmail.com", "outlook.com", "telia.com", "example.se"]
_REG_LETTERS = "ABCDEFGHJKLMNOPRSTUWXZ"  # no I, Q, V, Å, Ä, Ö on Swedish plates

_PII_TEMPLATES = {
    "personnummer": ["Boende med personnummer {} hörde av sig om händelsen",
                     "Anmälare {} vill bli kontaktad",
                     "Uppgiven person {} var på plats"],
    "phone": ["Anmälaren nås på {}", "Ring vicevärden på {} vid frågor",
              "Vittne lämnade nummer {}"],
    "email": ["Kontakta {} för mer information", "Anmälaren vill ha svar till {}",
              "Bilder skickade från {}"],
    "regnr": ["Bil med registreringsnummer {} stod kvar hela kvällen",
              "Moped utan skylt, följebil {} sågs i området",
              "Fordon {} parkerat på gångvägen"],
}

#: Ordinary comments: some mention a first name, which is not masked (and need not be).
NAMED_COMMENTS = ["Kalle från fritidsgården var med under kvällen",
                  "Lisa på fältgruppen har pratat med ungdomarna",
                  "Vicevärd Ahmed följer upp med boende"]


def luhn_digit(digits: str) -> int:
    """Check digit for the nine digits YYMMDDNNN (Skatteverket's Luhn variant)."""
    total = 0
    for i, ch in enumerate(digits):
        v = int(ch) * (2 if i % 2 == 0 else 1)
        total += v - 9 if v > 9 else v
    return (10 - total % 10) % 10


def luhn_valid(number: str) -> bool:
    """True if a 10 or 12 digit personal identity number (separators allowed) checks out."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) == 12:
        digits = digits[2:]
    if len(digits) != 10:
        return False
    return luhn_digit(digits[:9]) == int(digits[9])


def personnummer(rng: np.random.Generator) -> str:
    form = int(rng.integers(0, 5))  # 0: 10 with '-', 1: 10 bare, 2: 12 with '-', 3: 12 bare, 4: 10 with '+'
    year = int(rng.integers(1915, 1925)) if form == 4 else int(rng.integers(1940, 2009))
    month = int(rng.integers(1, 13))
    day = int(rng.integers(1, 29))
    if rng.random() < 0.15:  # coordination number
        day += 60
    serial = int(rng.integers(0, 1000))
    nine = f"{year % 100:02d}{month:02d}{day:02d}{serial:03d}"
    full = nine + str(luhn_digit(nine))
    if form == 0:
        return f"{full[:6]}-{full[6:]}"
    if form == 1:
        return full
    if form == 2:
        return f"{year // 100}{full[:6]}-{full[6:]}"
    if form == 3:
        return f"{year // 100}{full}"
    return f"{full[:6]}+{full[6:]}"


def phone(rng: np.random.Generator) -> str:
    d = rng.integers(0, 10, size=8)
    s = "".join(map(str, d))
    form = int(rng.integers(0, 3))
    if form == 0:
        return f"07{int(rng.choice([0, 2, 3, 6]))}-{s[:3]} {s[3:5]} {s[5:7]}"
    if form == 1:
        return f"+46 7{int(rng.choice([0, 2, 3, 6]))} {s[:3]} {s[3:5]} {s[5:7]}"
    return f"08-{s[:3]} {s[3:6]} {s[6:8]}"


def email(rng: np.random.Generator) -> str:
    return (f"{_FIRST[int(rng.integers(len(_FIRST)))]}.{_LAST[int(rng.integers(len(_LAST)))]}"
            f"@{_DOMAINS[int(rng.integers(len(_DOMAINS)))]}")


def regnr(rng: np.random.Generator) -> str:
    letters = "".join(_REG_LETTERS[i] for i in rng.integers(0, len(_REG_LETTERS), size=3))
    if rng.random() < 0.5:
        return f"{letters} {int(rng.integers(0, 1000)):03d}"
    return f"{letters}{int(rng.integers(0, 100)):02d}{_REG_LETTERS[int(rng.integers(len(_REG_LETTERS)))]}"


_MAKERS = {"personnummer": personnummer, "phone": phone, "email": email, "regnr": regnr}


def add_pii(texts: np.ndarray, share: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Append a sentence with personal data to about ``share`` of the non-empty comments.

    Returns the new texts and, per row, the PII kind planted ("" when none).
    """
    texts = texts.astype(object).copy()
    kinds = np.full(len(texts), "", dtype=object)
    nonempty = np.array([bool(t) for t in texts], dtype=bool)
    hit = np.flatnonzero(nonempty & (rng.random(len(texts)) < share))
    if len(hit) == 0:
        return texts, kinds
    chosen = rng.choice(len(PII_KINDS), size=len(hit), p=_PII_WEIGHTS)
    for row, k in zip(hit, chosen):
        kind = PII_KINDS[k]
        tmpl = _PII_TEMPLATES[kind][int(rng.integers(len(_PII_TEMPLATES[kind])))]
        texts[row] = f"{texts[row]}. {tmpl.format(_MAKERS[kind](rng))}"
        kinds[row] = kind
    return texts, kinds


def pick(options: list[str], n: int, rng: np.random.Generator) -> np.ndarray:
    return np.array(options, dtype=object)[rng.integers(0, len(options), size=n)]


#: Ordinary comment templates per EST category (Swedish, partner-facing).
CATEGORY_TEXT = {
    "vandalism": ["Krossad ruta i entrén", "Sönderslagen belysningsarmatur", "Skadad dörr",
                  "Bänkar sönderslagna"],
    "graffiti": ["Klotter på fasaden", "Nytt klotter på elskåpet", "Taggar på busskuren"],
    "littering": ["Mycket skräp kvar efter helgen", "Nedskräpning runt papperskorgarna",
                  "Glaskross på gångvägen"],
    "fire": ["Brand i papperskorg", "Anlagd brand i soprummet", "Bilbrand på parkeringen"],
    "lighting": ["Gatlampan släckt sedan flera dagar", "Mörkt längs gångstråket",
                 "Trasig belysning vid entrén"],
    "burglary": ["Inbrott i förråd", "Uppbrutet lås till källarförrådet", "Inbrott i cykelrummet"],
    "youth_gathering": ["Större grupp ungdomar samlades", "Ungdomar samlade vid entrén",
                        "Grupp ungdomar, lugn stämning"],
    "disturbance": ["Störande ljud sent på kvällen", "Bråk i trapphuset", "Höga ljud och spring"],
    "drugs": ["Misstänkt narkotikaförsäljning", "Lukt av cannabis", "Misstänkt langning"],
    "reckless_driving": ["Mopeder på gång- och cykelvägen", "A-traktor körde i hög fart",
                         "Crossmotorcykel i parken"],
    "unsafe_place": ["Boende upplever platsen som otrygg", "Otrygg passage kvällstid",
                     "Kvinnor undviker platsen på kvällen"],
    "social_media_rumour": ["Rykten i sociala medier om bråk", "Ryktesspridning om hot på skolan"],
    "threat_violence": ["Hot mot boende", "Person hotade förbipasserande"],
    "robbery": ["Rån av mobiltelefon", "Personrån vid hållplatsen"],
    "assault": ["Misshandel efter bråk", "Slagsmål mellan två personer"],
    "staff_incident": ["Personal hotades vid tillsyn", "Vaktmästare hindrad i arbetet",
                       "Personal provocerades av grupp"],
}
UNKNOWN_TEXT = ["Ärende utan närmare beskrivning", "Se tidigare ärende", "Övrigt att notera"]
CHECKLIST_TEXT = ["Lugnt i området", "Ökat jämfört med förra veckan", "Samma läge som tidigare",
                  "Följs upp nästa vecka", "Boende har hört av sig", "Inga nya iakttagelser"]
