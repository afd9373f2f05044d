"""Masking of personal data in free text before it reaches the warehouse.

Swedish secrecy law makes a row identifying when it concerns a few people, so partner
comments must not carry personal identity numbers, phone numbers, e-mail addresses or
vehicle registration numbers past the raw archive (the archive keeps the file as it came).
The rules favour precision on numbers that look like identifiers: a ten-digit number
that fails the Luhn check digit (an invoice or case number) is left alone, because
masking every long number would destroy the case references partners rely on.
"""

from __future__ import annotations

import re
from datetime import date

PLACEHOLDERS = {
    "personal_identity_number": "[personnummer]",
    "phone": "[telefon]",
    "email": "[e-post]",
    "vehicle_registration": "[regnr]",
}

# 12-digit (YYYYMMDD) or 10-digit (YYMMDD) date part, optional - or + separator, 4 digits.
# Digits are ASCII [0-9] throughout, so that the vectorised pre-filter below (RE2, whose
# \d is ASCII) finds every value these patterns can change.
# An identity number inside an id ("H-850709-1232") is masked too: after a hyphen is fine.
_PNR = re.compile(r"(?<![\w])([0-9]{8}|[0-9]{6})([-+]?)([0-9]{4})(?![\w])")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w])")
# Candidates only; the digit count is checked afterwards so that dates, sums and
# times written with spaces are not swallowed.
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)46[\s-]?(?:\(0\)[\s-]?)?|0)[1-9](?:[\s-]?[0-9]){5,9}(?![0-9])"
)
# Swedish plates never use I, Q, V, Å, Ä, Ö; the last character of the newer format may
# be a letter (not O). Upper case only: lower-case words with digits are too often not
# plates, and partners copy plates in capitals.
_PLATE_LETTER = "[A-HJ-PR-UW-Z]"
_PLATE = re.compile(rf"(?<![\w]){_PLATE_LETTER}{{3}}[ ]?[0-9]{{2}}[0-9A-HJ-NPR-UW-Z](?![\w])")
# Three-letter words that, followed by a number, are not plates.
_PLATE_STOPWORDS = {"SEK", "EUR", "USD", "NOK", "DKK", "GBP", "TEL", "MOB", "ORG", "BOX", "NUM"}


def luhn_valid(digits: str) -> bool:
    """The Luhn check used by the Swedish personal identity number (on its 10 digits)."""
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _valid_birth_date(yy_or_yyyy: str) -> bool:
    """True when the date part is a real date; day + 60 marks a coordination number."""
    if len(yy_or_yyyy) == 8:
        year = int(yy_or_yyyy[:4])
        if year < 1850:
            return False
        month, day = int(yy_or_yyyy[4:6]), int(yy_or_yyyy[6:8])
    else:
        year = 2000 + int(yy_or_yyyy[:2])  # any leap-year-correct century will do
        month, day = int(yy_or_yyyy[2:4]), int(yy_or_yyyy[4:6])
    if day > 60:
        day -= 60
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def is_personal_identity_number(text: str) -> bool:
    """Whether ``text`` is a personnummer or samordningsnummer in any accepted form."""
    m = _PNR.fullmatch(text.strip())
    return bool(m) and _check_pnr(m)


def _check_pnr(m: re.Match[str]) -> bool:
    date_part, sep, tail = m.group(1), m.group(2), m.group(3)
    if len(date_part) == 8 and sep == "+":
        return False  # '+' (aged 100 or more) only exists in the 10-digit form
    if not _valid_birth_date(date_part):
        return False
    return luhn_valid(date_part[-6:] + tail)


def _phone_digits_ok(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if candidate.startswith("+") or candidate.startswith("00"):
        national = digits[4:] if candidate.startswith("00") else digits[2:]
        return 7 <= len(national) <= 9
    return 8 <= len(digits) <= 10


def mask_text(text: str | None) -> tuple[str | None, dict[str, int]]:
    """Mask personal data in ``text``; return the masked text and counts per kind.

    Order matters: identity numbers first (their 10 digits could also look like a phone
    number), e-mail before phones and plates (an address can hold digits).
    """
    counts = {kind: 0 for kind in PLACEHOLDERS}
    if text is None or text == "":
        return text, counts

    def pnr(m: re.Match[str]) -> str:
        if _check_pnr(m):
            counts["personal_identity_number"] += 1
            return PLACEHOLDERS["personal_identity_number"]
        return m.group(0)

    def email(m: re.Match[str]) -> str:
        counts["email"] += 1
        return PLACEHOLDERS["email"]

    def phone(m: re.Match[str]) -> str:
        if _phone_digits_ok(m.group(0)):
            counts["phone"] += 1
            return PLACEHOLDERS["phone"]
        return m.group(0)

    def plate(m: re.Match[str]) -> str:
        if m.group(0)[:3] in _PLATE_STOPWORDS:
            return m.group(0)
        counts["vehicle_registration"] += 1
        return PLACEHOLDERS["vehicle_registration"]

    out = _PNR.sub(pnr, text)
    out = _EMAIL.sub(email, out)
    out = _PHONE.sub(phone, out)
    out = _PLATE.sub(plate, out)
    return out, counts


def add_counts(total: dict[str, int], more: dict[str, int]) -> None:
    for kind, n in more.items():
        total[kind] = total.get(kind, 0) + n


# The same four patterns in RE2 syntax (pyarrow's regex engine), each a superset of its
# Python twin: RE2 has no look-behind, so "not preceded by a word character" becomes
# "at the start, or after a character that is not an ASCII word character", which accepts
# more. Python's \s also matches Unicode spaces (a no-break space from Excel), hence the
# wider separator class. Only values this finds are handed to ``mask_text``: masking a
# million cells costs one vectorised scan plus Python for the few that may hold data.
_SEP = r"[\s\pZ\x{1c}-\x{1f}\x{85}-]"
CANDIDATES_RE2 = "|".join((
    r"(?:^|[^\w])(?:[0-9]{8}|[0-9]{6})[-+]?[0-9]{4}(?:$|[^\w])",
    r"@",
    rf"(?:^|[^\w+])(?:(?:\+|00)46{_SEP}?(?:\(0\){_SEP}?)?|0)[1-9](?:{_SEP}?[0-9]){{5,9}}",
    r"(?:^|[^\w])[A-HJ-PR-UW-Z]{3} ?[0-9]{2}[0-9A-HJ-NPR-UW-Z](?:$|[^\w])",
))


def mask_array(values):  # type: ignore[no-untyped-def]
    """Mask a pyarrow string array; returns (masked array, {position: counts}) where the
    counts list only the positions that changed."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(values) == 0 or values.null_count == len(values):
        return values, {}
    hits = pc.match_substring_regex(values, CANDIDATES_RE2).fill_null(False)
    positions = np.flatnonzero(hits.to_numpy(zero_copy_only=False))
    if not len(positions):
        return values, {}
    changed: dict[int, dict[str, int]] = {}
    patched = values.to_pylist() if len(positions) * 4 > len(values) else None
    originals = values.take(pa.array(positions)).to_pylist()
    updates: dict[int, str | None] = {}
    for pos, text in zip(positions.tolist(), originals):
        masked, counts = mask_text(text)
        if masked != text:
            changed[pos] = counts
            updates[pos] = masked
    if not updates:
        return values, {}
    if patched is None:
        patched = values.to_pylist()
    for pos, masked in updates.items():
        patched[pos] = masked
    return pa.array(patched, pa.string()), changed


def mask_texts(texts):  # type: ignore[no-untyped-def]
    """Mask each text of a list (messages, reasons); returns (masked list, total counts)."""
    total = {kind: 0 for kind in PLACEHOLDERS}
    out = []
    for text in texts:
        masked, counts = mask_text(text)
        add_counts(total, counts)
        out.append(masked)
    return out, total
