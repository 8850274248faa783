"""The diabetes clinic's demo patients: one story for each criterion, UK- and US-coded.

HbA1c paths are in mmol/mol and fasting glucose in mmol/L; a US-coded story writes HbA1c in % (LOINC 4548-4)
and fasting glucose in mg/dL (LOINC 1558-6), as Synthea and US laboratories do. Results carry no noise, so
that each story lands on the side of its boundary that its summary says.
"""

from __future__ import annotations

from adapters.demo.stories import Diagnosis, Drug, ResultSeries, Story, uk_test, us_test

T2DM = ("44054006", "Type 2 diabetes mellitus")
T1DM = ("46635009", "Type 1 diabetes mellitus")
PREDIABETES = ("15777000", "Prediabetes")
HYPERTENSION = ("59621000", "Essential hypertension")
OBESITY = ("414916001", "Obesity")

METFORMIN = "Metformin 500mg tablets"
GLICLAZIDE = "Gliclazide 80mg tablets"
SITAGLIPTIN = "Sitagliptin 100mg tablets"
DAPAGLIFLOZIN = "Dapagliflozin 10mg tablets"
SEMAGLUTIDE = "Semaglutide 1mg/0.74ml solution for injection pre-filled pen"
GLARGINE = "Insulin glargine 100units/ml solution for injection 3ml pre-filled pen"
RAMIPRIL = "Ramipril 5mg capsules"
US_METFORMIN = "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet"
US_GLIPIZIDE = "glipiZIDE 5 MG Oral Tablet"


def hba1c(*path: tuple[float, float], interval_days: int = 91) -> ResultSeries:
    return ResultSeries(
        uk=uk_test("999791000000106", "Haemoglobin A1c level - IFCC standardised", "mmol/mol"),
        us=us_test("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%"),
        path=path,
        interval_days=interval_days,
        decimals=0,
        us_scale=1 / 10.929,
        us_offset=2.15,
        us_decimals=1,
        spread=0.0,
    )


def fasting_glucose(*path: tuple[float, float], interval_days: int = 182) -> ResultSeries:
    return ResultSeries(
        uk=uk_test("1003141000000105", "Plasma fasting glucose level", "mmol/L"),
        us=us_test("1558-6", "Fasting glucose [Mass/volume] in Serum or Plasma", "mg/dL"),
        path=path,
        interval_days=interval_days,
        decimals=1,
        us_scale=18.016,
        us_decimals=0,
        spread=0.0,
    )


def _d(*items: tuple[tuple[str, str], float]) -> tuple[Diagnosis, ...]:
    return tuple(Diagnosis(concept, onset) for concept, onset in items)


DIABETES = ("diabetes",)

# Kept as a table, one story to an entry: a reader compares patients at a glance.
# fmt: off
DIABETES_STORIES: tuple[Story, ...] = (
    Story("Type 2 diabetes at target (46) on metformin alone.", "Helen", "Barker", "female", 61,
          results=(hba1c((3, 50), (0, 46)),), drugs=(Drug(METFORMIN, 5),), diagnoses=_d((T2DM, 5)),
          specialties=DIABETES),
    Story("HbA1c 52 on metformin: above the individual target of 48.", "Omar", "Haddad", "male", 57,
          results=(hba1c((2, 50), (0, 52)),), drugs=(Drug(METFORMIN, 4),), diagnoses=_d((T2DM, 4)),
          specialties=DIABETES),
    Story("HbA1c 51 on gliclazide: within the target of 53 for a drug causing hypoglycaemia.", "Joan",
          "Fletcher", "female", 72, results=(hba1c((2, 52), (0, 51)),),
          drugs=(Drug(METFORMIN, 8), Drug(GLICLAZIDE, 3)), diagnoses=_d((T2DM, 9)), specialties=DIABETES),
    Story("HbA1c 66 on metformin and sitagliptin: 58 or more, intensify.", "Deepak", "Nair", "male", 54,
          results=(hba1c((2, 64), (0, 66)),), drugs=(Drug(METFORMIN, 6), Drug(SITAGLIPTIN, 2)),
          diagnoses=_d((T2DM, 6)), specialties=DIABETES),
    Story("HbA1c 82 on basal insulin, metformin and semaglutide: above 75.", "Grace", "Okafor", "female", 49,
          results=(hba1c((3, 78), (0, 82)),),
          drugs=(Drug(METFORMIN, 9), Drug(SEMAGLUTIDE, 2), Drug(GLARGINE, 1.5)),
          diagnoses=_d((T2DM, 9), (OBESITY, 9)), specialties=DIABETES),
    Story("HbA1c 97 on three classes with weight loss: above 90.", "Martin", "Doyle", "male", 45,
          results=(hba1c((2, 70), (0, 97)),),
          drugs=(Drug(METFORMIN, 5), Drug(GLICLAZIDE, 3), Drug(DAPAGLIFLOZIN, 1)),
          diagnoses=_d((T2DM, 5)), specialties=DIABETES),
    Story("HbA1c risen from 48 to 62 over a year on metformin: rising.", "Sunita", "Rao", "female", 66,
          results=(hba1c((3, 47), (1, 48), (0, 62)),), drugs=(Drug(METFORMIN, 7),),
          diagnoses=_d((T2DM, 7), (HYPERTENSION, 10)), specialties=DIABETES),
    Story("HbA1c 53 with no diabetes coded: possible undiagnosed diabetes, repeat to confirm.", "Peter",
          "Lawson", "male", 58, results=(hba1c((1, 45), (0, 53), interval_days=182),),
          drugs=(Drug(RAMIPRIL, 3),), diagnoses=_d((HYPERTENSION, 3)), specialties=DIABETES),
    Story("HbA1c 44 and fasting glucose 6.2 with no diabetes: non-diabetic hyperglycaemia.", "Linda",
          "Marsh", "female", 63, results=(hba1c((2, 41), (0, 44), interval_days=365),
                                          fasting_glucose((2, 5.6), (0, 6.2))),
          diagnoses=_d((PREDIABETES, 1)), specialties=DIABETES),
    Story("HbA1c 43 on gliclazide and insulin, aged 84: hypoglycaemia risk, consider de-intensifying.",
          "Arthur", "Bennett", "male", 84, results=(hba1c((2, 50), (0, 43)),),
          drugs=(Drug(GLICLAZIDE, 8), Drug(GLARGINE, 4)), diagnoses=_d((T2DM, 15)), specialties=DIABETES),
    Story("Fasting glucose 7.4 with no diabetes coded and no HbA1c: possible undiagnosed diabetes.", "Rosa",
          "Silva", "female", 52, results=(fasting_glucose((1, 6.6), (0, 7.4)),), specialties=DIABETES),
    Story("Insulin-treated type 1 at 56: above the target of 53.", "Callum", "Reid", "male", 29,
          results=(hba1c((4, 60), (0, 56)),), drugs=(Drug(GLARGINE, 12),), diagnoses=_d((T1DM, 12)),
          specialties=DIABETES),
    Story("US-coded: HbA1c 8.2% (66 mmol/mol) on metformin and glipizide, intensify.", "Jamal", "Carter",
          "male", 59, results=(hba1c((2, 62), (0, 66)),),
          drugs=(Drug(US_METFORMIN, 5), Drug(US_GLIPIZIDE, 2)),
          diagnoses=_d((T2DM, 5)), us=True, specialties=DIABETES),
    Story("US-coded: fasting glucose 112 mg/dL (6.2 mmol/L) and HbA1c 5.8%: non-diabetic hyperglycaemia.",
          "Emily", "Brooks", "female", 47, results=(hba1c((1, 39), (0, 40), interval_days=365),
                                                   fasting_glucose((2, 5.8), (0, 6.2))),
          us=True, specialties=DIABETES),
)
# fmt: on
