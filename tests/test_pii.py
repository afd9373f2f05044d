"""Masking of personal data in free text (lib/pii.py)."""

from __future__ import annotations

import pytest

from est_pipeline.lib.pii import is_personal_identity_number, luhn_valid, mask_text


def _check_digit(nine: str) -> str:
    """Independent Luhn check digit, so the tests do not trust the code under test."""
    total = 0
    for i, ch in enumerate(nine):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n // 10 + n % 10
    return str((10 - total % 10) % 10)


VALID = "811218-9876"  # Skatteverket's published example
COORDINATION = "701063-2391"  # a samordningsnummer (day 03 + 60)


def test_luhn_examples() -> None:
    assert luhn_valid("8112189876")
    assert not luhn_valid("8112189875")
    assert _check_digit("811218987") == "6"


@pytest.mark.parametrize("form", [
    "811218-9876", "8112189876", "19811218-9876", "198112189876", "811218+9876",
    "701063-2391", "7010632391", "19701063-2391",
])
def test_every_form_is_masked(form: str) -> None:
    assert is_personal_identity_number(form)
    masked, counts = mask_text(f"Anmälare {form} ringde.")
    assert masked == "Anmälare [personnummer] ringde."
    assert counts["personal_identity_number"] == 1


def test_generated_numbers_with_independent_check_digit() -> None:
    # 040229: leap day; 120561: coordination number (day 01 + 60)
    for birth in ("900101", "040229", "991231", "120561"):
        nine = birth + "123"
        number = f"{birth}-123{_check_digit(nine)}"
        assert mask_text(number)[0] == "[personnummer]", number


@pytest.mark.parametrize("text", [
    "Faktura 5512345678 betald",   # fails Luhn and is no date
    "Ärende 811218-9875",         # wrong check digit
    "Nummer 811318-9876",         # month 13
    "Nummer 811299-9870",         # day 99 (not a coordination day either)
    "Order 20211318-1234",        # 12-digit with impossible date
])
def test_numbers_that_are_not_identity_numbers_stay(text: str) -> None:
    masked, counts = mask_text(text)
    assert counts["personal_identity_number"] == 0
    assert masked == text


@pytest.mark.parametrize("phone", [
    "070-123 45 67", "0701234567", "+46 70 123 45 67", "+46701234567", "08-123 456 78",
    "031-12 34 56", "0046 70 123 45 67", "076-123 45 67",
])
def test_phone_forms(phone: str) -> None:
    masked, counts = mask_text(f"Ring {phone} i kväll")
    assert masked == "Ring [telefon] i kväll"
    assert counts["phone"] + counts["personal_identity_number"] == 1


@pytest.mark.parametrize("text", [
    "Kl 22.15 den 2021-03-05 var 15 ungdomar på torget",
    "Händelse 2021-03-05 22:14, kostnad 12 500 kr",
    "Kostnad 125 000 SEK",
])
def test_dates_times_and_sums_are_not_phones(text: str) -> None:
    masked, counts = mask_text(text)
    assert masked == text and sum(counts.values()) == 0


def test_email_and_plates() -> None:
    masked, counts = mask_text("Mejla anna.svensson@example.se om ABC 123, ABC123 och MLB 12A; SEK 100 och KOD 1")
    assert masked == "Mejla [e-post] om [regnr], [regnr] och [regnr]; SEK 100 och KOD 1"
    assert counts == {"personal_identity_number": 0, "phone": 0, "email": 1, "vehicle_registration": 3}


def test_plates_need_valid_letters_and_capitals() -> None:
    # I, Q and V are never used on Swedish plates; lower-case words are left alone.
    for text in ("IQV 123", "abc 123", "Rum 123", "VAL 123"):
        assert mask_text(text)[1]["vehicle_registration"] == 0, text


def test_blank_and_none() -> None:
    assert mask_text(None)[0] is None
    assert mask_text("")[0] == ""
