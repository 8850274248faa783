"""The lipid clinic's demo patients: one story for each criterion, boundary and unit the rules meet.

Each lipid is reported every six months for three years at the value named (no noise), so the latest result
sits exactly on it: triglyceride 20.0 is the repeat band, not the urgent one; total cholesterol 9.0 is not
above 9.0. UK stories send SNOMED CT and mmol/L; US twins send LOINC and whole mg/dL (cholesterol x 38.67,
triglyceride x 88.57), which the catalogue brings back to the same mmol/L.
"""

from __future__ import annotations

from functools import partial

from adapters.demo.stories import Diagnosis, Drug, ResultSeries, Story, uk_test, us_test

MMOL, MG_DL = "mmol/L", "mg/dL"
# analyte → (UK SNOMED CT, US LOINC, mg/dL per mmol/L)
TESTS = {
    "tc": (("1005671000000105", "Serum cholesterol level"), ("2093-3", "Cholesterol [Mass/volume]"), 38.67),
    "hdl": (("1005681000000107", "Serum HDL cholesterol level"), ("2085-9", "HDL cholesterol"), 38.67),
    "ldl": (
        ("1108551000000102", "Substance concentration of LDL cholesterol in serum"),
        ("18262-6", "LDL cholesterol [Mass/volume] by direct assay"),
        38.67,
    ),
    "non_hdl": (
        ("1006191000000106", "Serum non-HDL cholesterol level"),
        ("43396-1", "Non-HDL cholesterol"),
        38.67,
    ),
    "tg": (
        ("1005691000000109", "Serum triglycerides level"),
        ("2571-8", "Triglyceride [Mass/volume]"),
        88.57,
    ),
}
MI = ("22298006", "Myocardial infarction")
STROKE = ("230690007", "Cerebrovascular accident")
T2DM = ("44054006", "Type 2 diabetes mellitus")
ALCOHOLISM = ("7200002", "Alcoholism")
ATORVASTATIN_80 = "Atorvastatin 80mg tablets"


def _lipid(name: str, value: float, *, without_unit: bool = False) -> ResultSeries:
    (uk_code, uk_display), (us_code, us_display), factor = TESTS[name]
    return ResultSeries(
        uk_test(uk_code, uk_display, MMOL),
        us_test(us_code, us_display, MG_DL),
        ((3.0, value), (0.0, value)),
        us_scale=factor,
        us_decimals=0,
        spread=0.0,
        without_unit=without_unit,
    )


def profile(tc: float, hdl: float, ldl: float, tg: float, *extra: ResultSeries) -> tuple[ResultSeries, ...]:
    """A reported lipid profile: total, HDL, LDL, non-HDL (as total minus HDL) and triglyceride."""
    non_hdl = round(tc - hdl, 1)
    return (*(_lipid(n, v) for n, v in (("tc", tc), ("hdl", hdl), ("ldl", ldl), ("non_hdl", non_hdl))),
            *((_lipid("tg", tg),) if tg else ()), *extra)  # fmt: skip


_story = partial(Story, specialties=("lipids",))
UNDER_30 = profile(8.4, 1.4, 6.4, 1.3)
URGENT_TG = profile(9.8, 0.6, 2.1, 26.0)
SECONDARY = profile(4.6, 1.3, 2.6, 1.5)

# fmt: off
LIPIDS_STORIES: tuple[Story, ...] = (
    _story("Total cholesterol 8.4 at 24: the CG71 search under 30 finds her", "Chloe", "Barker", "female", 24,
           results=UNDER_30),
    _story("US-coded twin: total cholesterol 325 mg/dL at 24, the same 8.4 mmol/L", "Madison", "Reed",
           "female", 24, results=UNDER_30, us=True),
    _story("Total cholesterol 9.6, non-HDL 8.4 at 46, untreated: specialist assessment", "Gareth", "Nolan",
           "male", 46, results=profile(9.6, 1.2, 7.8, 1.4)),
    _story("Total cholesterol exactly 9.0 at 40: not above 9.0, no search match", "Helen", "Doyle", "female",
           40, results=profile(9.0, 1.6, 6.8, 1.3)),
    _story("Untreated LDL 8.8 at 38: DLCN at least 8, refer for DNA testing", "Sarah", "Quinn", "female", 38,
           results=profile(10.6, 1.3, 8.8, 1.1)),
    _story("LDL 12.0 at 16: the homozygous FH range for a child", "Oliver", "Shaw", "male", 16,
           results=profile(14.0, 1.0, 12.0, 1.2)),
    _story("Triglyceride 14.0 in known diabetes: repeat fasting within two weeks", "Imran", "Qureshi",
           "male", 58, results=profile(6.2, 0.8, 3.1, 14.0), diagnoses=(Diagnosis(T2DM, 9.0),)),
    _story("Triglyceride exactly 20.0: the repeat band, not the urgent one", "Denise", "Ward", "female", 55,
           results=profile(7.0, 0.9, 2.6, 20.0)),
    _story("Triglyceride 26.0 with alcoholism coded: urgent review unless alcohol explains it", "Kevin",
           "Boyle", "male", 52, results=URGENT_TG, diagnoses=(Diagnosis(ALCOHOLISM, 4.0),)),
    _story("US-coded twin: triglyceride 2303 mg/dL, the same 26.0 mmol/L", "Tyler", "Brooks", "male", 52,
           results=URGENT_TG, us=True),
    _story("Myocardial infarction on atorvastatin 80, LDL 2.6: above the NG238 target", "Frank",
           "Dixon", "male", 67, results=SECONDARY, drugs=(Drug(ATORVASTATIN_80, 3.0),),
           diagnoses=(Diagnosis(MI, 3.0),)),
    _story("Stroke on atorvastatin 80, LDL 1.6 and non-HDL 2.2: at target", "Irene", "Webb", "female", 72,
           results=profile(3.6, 1.4, 1.6, 1.2), drugs=(Drug(ATORVASTATIN_80, 2.0),),
           diagnoses=(Diagnosis(STROKE, 2.0),)),
    _story("Triglyceride sent without a unit: refused with a warning, never guessed", "Paul", "Mercer",
           "male", 50, results=profile(5.2, 1.3, 3.1, 0.0, _lipid("tg", 1.8, without_unit=True))),
)
# fmt: on
