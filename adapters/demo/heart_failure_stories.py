"""The heart-failure clinic's demo patients: one story for each criterion, boundary and unit the rules meet.

NT-proBNP paths end flat, so the latest result sits exactly on the value named (2000 ng/L is six weeks; 236
pmol/L is NICE's own figure for 2000 ng/L). US-coded twins send LOINC and pg/mL with the same numbers.
"""

from __future__ import annotations

from functools import partial

from adapters.demo.stories import Diagnosis, Drug, ResultSeries, Story, uk_test, us_test

NTPROBNP_UK = uk_test("414799001", "N-terminal pro-brain natriuretic peptide level", "ng/L")
NTPROBNP_US = us_test(
    "33762-6", "Natriuretic peptide.B prohormone N-Terminal [Mass/volume] in Serum or Plasma", "pg/mL"
)
HF = ("heart-failure",)
HEART_FAILURE = ("84114007", "Heart failure")
HFREF = ("703272007", "Heart failure with reduced ejection fraction")
ATRIAL_FIBRILLATION = ("49436004", "Atrial fibrillation")
OBESITY = ("414916001", "Obesity")


def ntprobnp(*path: tuple[float, float], unit: str = "ng/L", without_unit: bool = False) -> ResultSeries:
    uk, us = NTPROBNP_UK, NTPROBNP_US
    if unit == "pmol/L":
        uk = uk_test("414799001", "N-terminal pro-brain natriuretic peptide level", "pmol/L")
        us = us_test(
            "33763-4",
            "Natriuretic peptide.B prohormone N-Terminal [Moles/volume] in Serum or Plasma",
            "pmol/L",
        )
    return ResultSeries(
        uk, us, path, interval_days=120, decimals=0, us_decimals=0, spread=0.0, without_unit=without_unit
    )


BNP = ResultSeries(
    uk_test("390917008", "Brain natriuretic peptide level", "ng/L"),
    us_test("30934-4", "Natriuretic peptide B [Mass/volume] in Serum or Plasma", "pg/mL"),
    ((1.0, 450.0), (0.0, 450.0)),
    decimals=0,
    us_decimals=0,
    spread=0.0,
)
KIDNEY = ((2.0, 72.0), (0.0, 70.0))  # FBC and U&E every two months: the referral's attachments are on record


_story = partial(Story, specialties=HF)

HEART_FAILURE_STORIES: tuple[Story, ...] = (
    _story(
        "NT-proBNP rising to 2600 ng/L: two-week pathway",
        "Edith",
        "Marsh",
        "female",
        78,
        results=(ntprobnp((2, 700.0), (0.5, 2600.0), (0, 2600.0)),),
        egfr=KIDNEY,
        interval_days=60,
    ),
    _story(
        "US-coded twin: NT-proBNP 2600 pg/mL, two-week pathway",
        "Ruth",
        "Hale",
        "female",
        78,
        us=True,
        results=(ntprobnp((2, 700.0), (0.5, 2600.0), (0, 2600.0)),),
        egfr=KIDNEY,
        interval_days=60,
    ),
    _story(
        "NT-proBNP exactly 2000 ng/L: six weeks, not two",
        "Walter",
        "Finch",
        "male",
        71,
        results=(ntprobnp((1, 1200.0), (0.3, 2000.0), (0, 2000.0)),),
        egfr=KIDNEY,
        interval_days=60,
    ),
    _story(
        "NT-proBNP 236 pmol/L, NICE's figure for 2000 ng/L: six weeks",
        "Harold",
        "Pike",
        "male",
        69,
        results=(ntprobnp((1, 150.0), (0.3, 236.0), (0, 236.0), unit="pmol/L"),),
        egfr=KIDNEY,
        interval_days=60,
    ),
    _story(
        "NT-proBNP 900 ng/L with no FBC or U&E: six weeks, attachments missing",
        "Joan",
        "Carver",
        "female",
        74,
        results=(ntprobnp((1, 900.0), (0, 900.0)),),
    ),
    _story(
        "NT-proBNP 310 ng/L on furosemide and bisoprolol, obese: unlikely, with confounders",
        "Brian",
        "Lowe",
        "male",
        66,
        results=(ntprobnp((1, 310.0), (0, 310.0)),),
        egfr=KIDNEY,
        drugs=(Drug("Furosemide 40mg tablets", 1.0), Drug("Bisoprolol 2.5mg tablets", 2.0)),
        diagnoses=(Diagnosis(OBESITY, 5.0),),
    ),
    _story(
        "Sacubitril/valsartan issued with no heart-failure diagnosis",
        "Norman",
        "Bell",
        "male",
        73,
        egfr=KIDNEY,
        drugs=(Drug("Entresto 49mg/51mg tablets", 0.15),),
    ),
    _story(
        "Digoxin for atrial fibrillation: not a heart-failure medicine here",
        "Alice",
        "Dunn",
        "female",
        81,
        egfr=KIDNEY,
        drugs=(Drug("Digoxin 125microgram tablets", 0.15),),
        diagnoses=(Diagnosis(ATRIAL_FIBRILLATION, 3.0),),
    ),
    _story(
        "HFrEF on ramipril and bisoprolol: no MRA or SGLT2 inhibitor; ramipril titrated up from 1.25 mg",
        "George",
        "Ward",
        "male",
        64,
        egfr=KIDNEY,
        drugs=(
            Drug(
                "Ramipril 5mg capsules",
                1.6,
                titrated_from=((2.0, "Ramipril 1.25mg capsules"), (1.8, "Ramipril 2.5mg capsules")),
            ),
            Drug("Bisoprolol 5mg tablets", 2.0),
        ),
        diagnoses=(Diagnosis(HFREF, 2.5),),
    ),
    _story(
        "HFrEF on all four medicine classes",
        "Irene",
        "Cole",
        "female",
        70,
        egfr=KIDNEY,
        drugs=(
            Drug("Ramipril 5mg capsules", 2.0),
            Drug("Bisoprolol 5mg tablets", 2.0),
            Drug("Spironolactone 25mg tablets", 1.0),
            Drug("Dapagliflozin 10mg tablets", 0.5),
        ),
        diagnoses=(Diagnosis(HFREF, 2.5),),
    ),
    _story(
        "Known heart failure with NT-proBNP 3500 ng/L",
        "Arthur",
        "Reed",
        "male",
        83,
        results=(ntprobnp((1, 3500.0), (0, 3500.0)),),
        egfr=KIDNEY,
        diagnoses=(Diagnosis(HEART_FAILURE, 4.0),),
    ),
    _story(
        "NT-proBNP sent without a unit: refused, never guessed",
        "Mabel",
        "Frost",
        "female",
        77,
        egfr=KIDNEY,
        results=(ntprobnp((1, 236.0), (0, 236.0), without_unit=True),),
    ),
    _story("Legacy BNP 450 ng/L and no NT-proBNP", "Cyril", "Hunt", "male", 79, egfr=KIDNEY, results=(BNP,)),
)
