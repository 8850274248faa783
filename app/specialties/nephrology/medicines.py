"""Kidney-relevant medicine classes, and the prompts they raise.

Classes follow CLINICAL.md ("Medicines that matter"). They are read from the ingredient names in the
medicine's name and in its codings' display text (dm+d and RxNorm names both carry the ingredient): by the
approved-name stem where one defines the class (-pril, -sartan, -gliflozin, -vastatin, -olol, -dipine,
-azosin, -thiazide) and by name for the rest. UK compound names (co-amilofruse ...) and a few common brands
are spelt out. dm+d and SNOMED product codes are not used: a wrong code table would misclassify silently.

The uroselective alpha-blockers (tamsulosin, alfuzosin, silodosin) fall outside the -azosin stem on purpose:
they treat the prostate, not blood pressure, and would inflate the 4-drug count of NICE NG203.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.specialties.medicines import medicine_text
from app.specialties.nephrology.results import rounded
from schemas.api.nephrology import MedicineClass as C
from schemas.clinical import Medication

_STEMS: tuple[tuple[str, C], ...] = (
    ("pril", C.ACEI),
    ("sartan", C.ARB),
    ("gliflozin", C.SGLT2I),
    ("vastatin", C.STATIN),
    ("olol", C.BETA_BLOCKER),
    ("alol", C.BETA_BLOCKER),
    ("dilol", C.BETA_BLOCKER),
    ("dipine", C.CCB),
    ("azosin", C.ALPHA_BLOCKER),
    ("thiazide", C.THIAZIDE),
)

_NAMED: dict[str, tuple[C, ...]] = {
    **dict.fromkeys(("spironolactone", "eplerenone", "aldactone", "inspra"), (C.MRA,)),
    **dict.fromkeys(("finerenone", "kerendia"), (C.FINERENONE,)),
    **dict.fromkeys(("metformin", "glucophage", "janumet", "eucreas"), (C.METFORMIN,)),
    **dict.fromkeys(("synjardy", "xigduo", "vokanamet"), (C.SGLT2I, C.METFORMIN)),
    **dict.fromkeys(("forxiga", "jardiance", "invokana", "steglatro"), (C.SGLT2I,)),
    "entresto": (C.ARB,),
    **dict.fromkeys(
        ("furosemide", "frusemide", "bumetanide", "torasemide", "torsemide", "lasix", "co-amilofruse"),
        (C.LOOP_DIURETIC,),
    ),
    **dict.fromkeys(
        ("bendrofluazide", "indapamide", "chlortalidone", "chlorthalidone", "metolazone", "xipamide"),
        (C.THIAZIDE,),
    ),
    **dict.fromkeys(("co-amilozide", "co-triamterzide", "natrilix"), (C.THIAZIDE,)),
    "co-tenidone": (C.BETA_BLOCKER, C.THIAZIDE),
    "co-zidocapt": (C.ACEI, C.THIAZIDE),
    "co-flumactone": (C.MRA, C.THIAZIDE),
    **dict.fromkeys(("diltiazem", "verapamil", "istin", "adalat"), (C.CCB,)),
    **dict.fromkeys(("indoramin", "cardura"), (C.ALPHA_BLOCKER,)),
    "tenormin": (C.BETA_BLOCKER,),
    **dict.fromkeys(("zestril", "tritace"), (C.ACEI,)),
    "cozaar": (C.ARB,),
    **dict.fromkeys(("lipitor", "crestor"), (C.STATIN,)),
    **dict.fromkeys(
        (
            "ibuprofen",
            "dexibuprofen",
            "naproxen",
            "diclofenac",
            "aceclofenac",
            "celecoxib",
            "etoricoxib",
            "parecoxib",
            "meloxicam",
            "piroxicam",
            "tenoxicam",
            "indometacin",
            "indomethacin",
            "ketoprofen",
            "dexketoprofen",
            "flurbiprofen",
            "fenoprofen",
            "mefenamic",
            "tolfenamic",
            "etodolac",
            "nabumetone",
            "sulindac",
            "ketorolac",
            "tiaprofenic",
            "nurofen",
            "brufen",
            "voltarol",
            "naprosyn",
            "arcoxia",
            "celebrex",
        ),
        (C.NSAID,),
    ),
}

ANTIHYPERTENSIVE_CLASSES: frozenset[C] = frozenset(
    {C.ACEI, C.ARB, C.THIAZIDE, C.CCB, C.BETA_BLOCKER, C.ALPHA_BLOCKER, C.MRA, C.LOOP_DIURETIC}
)
"""The classes the NICE NG203 4-drug criterion counts (CLINICAL.md)."""

SICK_DAY_CLASSES: frozenset[C] = frozenset(
    {C.ACEI, C.ARB, C.SGLT2I, C.MRA, C.LOOP_DIURETIC, C.THIAZIDE, C.METFORMIN, C.NSAID}
)
"""ACE inhibitors, ARBs, SGLT2 inhibitors, diuretics, metformin and NSAIDs: sick-day guidance medicines."""

_WORD = re.compile(r"co-[a-z]+|[a-z]+")


def medicine_classes_of_text(text: str) -> tuple[C, ...]:
    """The classes whose ingredients (or compound and brand names) a medicine description names."""
    found: set[C] = set()
    for word in _WORD.findall(text.lower()):
        named = _NAMED.get(word)
        if named is not None:
            found.update(named)
            continue
        found.update(cls for stem, cls in _STEMS if word.endswith(stem) and len(word) > len(stem))
    return tuple(cls for cls in C if cls in found)


@dataclass(frozen=True, slots=True)
class ClassifiedMedication:
    medication: Medication
    classes: tuple[C, ...]

    @property
    def active(self) -> bool:
        return self.medication.status == "active"


def classify_medications(medications: Sequence[Medication]) -> list[ClassifiedMedication]:
    """Each medicine with its classes, read from its name and its codings' display text."""
    return [
        ClassifiedMedication(medication, medicine_classes_of_text(medicine_text(medication)))
        for medication in medications
    ]


def active_antihypertensive_classes(medications: Sequence[ClassifiedMedication]) -> dict[C, list[str]]:
    """Each antihypertensive class with an active medicine, and the medicines in it."""
    classes: dict[C, list[str]] = {}
    for item in medications:
        if item.active:
            for cls in item.classes:
                if cls in ANTIHYPERTENSIVE_CLASSES:
                    classes.setdefault(cls, []).append(item.medication.name)
    return classes


METFORMIN_STOP_EGFR = 30.0
METFORMIN_REVIEW_EGFR = 45.0


def sick_day_prompt(medications: Sequence[ClassifiedMedication]) -> str | None:
    """A prompt naming the active medicines that sick-day guidance covers, or None.

    Source: Think Kidneys (NHS England AKI programme) position on sick-day guidance, and the NHS Scotland
    medicine sick day rules; SGLT2 inhibitors also per MHRA Drug Safety Update (2016, ketoacidosis).
    """
    names = [
        item.medication.name
        for item in medications
        if item.active and SICK_DAY_CLASSES.intersection(item.classes)
    ]
    if not names:
        return None
    return (
        "Sick-day guidance applies to "
        + "; ".join(names)
        + ": consider advice to pause them during a dehydrating illness and restart once eating and drinking "
        "normally (Think Kidneys; NHS Scotland sick day rules)"
    )


def metformin_prompt(medications: Sequence[ClassifiedMedication], *, egfr: float, day: date) -> str | None:
    """A metformin prompt when the latest eGFR is below 45, or None.

    Source: MHRA Drug Safety Update (June 2016): contraindicated below eGFR 30, maximum 1 g a day at 30-44;
    NICE NG28: review the dose below 45, stop below 30.
    """
    if egfr >= METFORMIN_REVIEW_EGFR:
        return None
    names = [item.medication.name for item in medications if item.active and C.METFORMIN in item.classes]
    if not names:
        return None
    context = f"{'; '.join(names)} with eGFR {rounded(egfr)} on {day}"
    if egfr < METFORMIN_STOP_EGFR:
        return f"{context}: metformin is contraindicated below 30 (MHRA 2016; NICE NG28)"
    return f"{context}: review the metformin dose, at most 1 g a day at 30-44 (MHRA 2016; NICE NG28)"
