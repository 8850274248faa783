"""The demo practice's patients: each a clinical story the generator turns into several years of GP record.

Paths are given as (years before today, value) anchors; results follow the line between them with noise. eGFR
is in mL/min/1.73m2 and ACR in mg/mmol whatever the coding; US-coded patients get LOINC, mg/dL and mg/g.

A story names the specialties whose demo clinic it belongs to. Beyond the kidney results (drawn when it has an
eGFR path), it may carry any other result series: a ``LabTest`` for each coding style (UK SNOMED CT and US
LOINC twins) and a path in the UK test's unit. This module holds the story types and the renal clinic's
stories; each other specialty keeps its own in ``adapters/demo/<code>_stories.py``, registered in
``adapters/demo/practice.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.clinical import LOINC, SNOMED
from schemas.nhs_number import nhs_number_check_digit

# SNOMED CT concepts the stories use.
T2DM = ("44054006", "Type 2 diabetes mellitus")
T1DM = ("46635009", "Type 1 diabetes mellitus")
HYPERTENSION = ("59621000", "Essential hypertension")
ADPKD = ("28770003", "Polycystic kidney disease, adult type")
HAEMATURIA = ("34436003", "Blood in urine")
AKI = ("14669001", "Acute kidney injury")
RENAL_ARTERY_STENOSIS = ("302233006", "Renal artery stenosis")
HEART_FAILURE = ("84114007", "Heart failure")
GOUT = ("90560007", "Gout")
IGA_NEPHROPATHY = ("236407003", "IgA nephropathy")
DEPRESSION = ("35489007", "Depressive disorder")
DIABETIC_KIDNEY = ("127013003", "Disorder of kidney due to diabetes mellitus")
CKD_3A = ("700378005", "Chronic kidney disease stage 3A")
CKD_3B = ("700379002", "Chronic kidney disease stage 3B")
CKD_4 = ("431857002", "Chronic kidney disease stage 4")
CKD_5 = ("433146000", "Chronic kidney disease stage 5")
ANAEMIA = ("271737000", "Anaemia")
HYPERKALAEMIA = ("14140009", "Hyperkalaemia")


@dataclass(frozen=True, slots=True)
class Drug:
    name: str
    started: float
    stopped: float | None = None
    statement: bool = False  # recorded as a MedicationStatement (bought over the counter, or from hospital)
    rxnorm: str | None = None
    # Earlier strengths, oldest first, as (years ago, name): each prescribed, then stopped for the next dose.
    titrated_from: tuple[tuple[float, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Diagnosis:
    concept: tuple[str, str]
    onset: float
    confidential: bool = False


@dataclass(frozen=True, slots=True)
class LabTest:
    """A result kind as one coding style writes it: code, display, unit as shown, UCUM code."""

    system: str
    code: str
    display: str
    unit: str
    ucum: str


def uk_test(code: str, display: str, unit: str, ucum: str | None = None) -> LabTest:
    """A SNOMED CT coded result, as UK GP systems send it."""
    return LabTest(SNOMED, code, display, unit, ucum or unit)


def us_test(code: str, display: str, unit: str, ucum: str | None = None) -> LabTest:
    """A LOINC coded result, as US data and Synthea send it."""
    return LabTest(LOINC, code, display, unit, ucum or unit)


@dataclass(frozen=True, slots=True)
class ResultSeries:
    """Results of one analyte along a path of (years before today, value) anchors, in ``uk``'s unit.

    A US-coded story writes each value as ``us`` does: value * ``us_scale`` + ``us_offset``, rounded to
    ``us_decimals``. ``spread`` is the relative noise of each result; ``without_unit`` sends the results with
    no unit at all, as some laboratory feeds do.
    """

    uk: LabTest
    us: LabTest
    path: tuple[tuple[float, float], ...]
    interval_days: int = 182
    decimals: int = 1
    us_scale: float = 1.0
    us_offset: float = 0.0
    us_decimals: int = 1
    spread: float = 0.03
    without_unit: bool = False


@dataclass(frozen=True, slots=True)
class Story:
    summary: str
    given: str
    family: str
    sex: str
    age: int
    # Empty: no kidney blood tests; blood pressure is then taken with the first of ``results``, if any.
    egfr: tuple[tuple[float, float], ...] = ()
    acr: tuple[tuple[float, float], ...] = ()
    bp: tuple[int, int] = (134, 82)
    drugs: tuple[Drug, ...] = ()
    diagnoses: tuple[Diagnosis, ...] = ()
    us: bool = False
    aki: tuple[float, float] | None = None  # (years before today, peak creatinine / baseline); recovers
    potassium: float = 4.4
    haemoglobin: float = 135.0  # g/L
    hba1c: float | None = None  # mmol/mol
    interval_days: int | None = None  # None: by eGFR (3-monthly below 30, 6-monthly below 60, else yearly)
    last_tests: float = 0.0  # years before today of the latest kidney blood tests (0: this last month or so)
    confidential_result: bool = False
    entered_in_error: bool = False
    results: tuple[ResultSeries, ...] = ()
    specialties: tuple[str, ...] = ("nephrology",)  # the demo clinics this patient belongs to


def _d(*items: tuple[tuple[str, str], float]) -> tuple[Diagnosis, ...]:
    return tuple(Diagnosis(concept, onset) for concept, onset in items)


RAMIPRIL = "Ramipril 5mg capsules"
LOSARTAN = "Losartan 50mg tablets"
AMLODIPINE = "Amlodipine 10mg tablets"
INDAPAMIDE = "Indapamide 2.5mg tablets"
DAPAGLIFLOZIN = "Dapagliflozin 10mg tablets"
EMPAGLIFLOZIN = "Empagliflozin 10mg tablets"
METFORMIN = "Metformin 500mg tablets"
ATORVASTATIN = "Atorvastatin 20mg tablets"
IBUPROFEN = "Ibuprofen 400mg tablets"
NAPROXEN = "Naproxen 500mg tablets"
BISOPROLOL = "Bisoprolol 5mg tablets"
DOXAZOSIN = "Doxazosin 4mg tablets"
SPIRONOLACTONE = "Spironolactone 25mg tablets"
FUROSEMIDE = "Furosemide 40mg tablets"
BENDROFLUMETHIAZIDE = "Bendroflumethiazide 2.5mg tablets"
FINERENONE = "Finerenone 10mg tablets"

# US products with their RxNorm codes, as Synthea's sample records write them.
US_METFORMIN = ("24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet", "860975")
US_LISINOPRIL = ("lisinopril 10 MG Oral Tablet", "314076")
US_HYDROCHLOROTHIAZIDE = ("Hydrochlorothiazide 25 MG Oral Tablet", "310798")
US_IBUPROFEN = ("Ibuprofen 400 MG Oral Tablet [Ibu]", "206905")
US_AMLODIPINE = ("Amlodipine 5 MG Oral Tablet", "197361")
US_METOPROLOL = ("24 HR metoprolol succinate 100 MG Extended Release Oral Tablet", "866412")


def _rx(product: tuple[str, str], started: float) -> Drug:
    return Drug(product[0], started, rxnorm=product[1])


# Kept as a table, one story to an entry: a reader compares patients at a glance.
# fmt: off
STORIES: tuple[Story, ...] = (
    Story("Normal kidney function; hypertension well controlled on amlodipine.", "Amelia", "Hughes", "female",
          46, ((5, 96), (0, 94)), acr=((5, 0.6), (0, 0.8)), bp=(128, 78), drugs=(Drug(AMLODIPINE, 4),),
          diagnoses=_d((HYPERTENSION, 4))),
    Story("Normal for age (G2 A1), no kidney medicines; reassurance only.", "George", "Patel", "male", 71,
          ((6, 80), (0, 76)), acr=((6, 1.2), (0, 1.4))),
    Story("Stable CKD G3a A1 on ramipril for years; low progression risk.", "Margaret", "Evans", "female", 74,
          ((6, 54), (0, 51)), acr=((6, 1.5), (0, 1.8)), drugs=(Drug(RAMIPRIL, 6),),
          diagnoses=_d((CKD_3A, 5), (HYPERTENSION, 9))),
    Story("Stable G3a A2 with type 2 diabetes on losartan and dapagliflozin.", "Rajesh", "Sharma", "male", 63,
          ((5, 57), (0, 53)), acr=((5, 9), (0, 7)), hba1c=58,
          drugs=(Drug(LOSARTAN, 5), Drug(DAPAGLIFLOZIN, 2), Drug(METFORMIN, 8)),
          diagnoses=_d((T2DM, 9), (DIABETIC_KIDNEY, 4))),
    Story("Progressing G3b with diabetes: eGFR 48 to 36 over four years despite ramipril.", "Brian", "Walsh",
          "male", 68, ((4, 48), (0, 36)), acr=((4, 18), (0, 27)), hba1c=64,
          drugs=(Drug(RAMIPRIL, 5), Drug(EMPAGLIFLOZIN, 1.5), Drug(METFORMIN, 10)),
          diagnoses=_d((T2DM, 12), (CKD_3B, 2))),
    Story("Progressing to G4 (32 to 22) and still on metformin, due a review below 30.", "Dorothy", "Clarke",
          "female", 79, ((4, 32), (0, 22)), acr=((4, 30), (0, 48)), hba1c=55,
          drugs=(Drug(RAMIPRIL, 7), Drug(METFORMIN, 11), Drug(FUROSEMIDE, 2)),
          diagnoses=_d((T2DM, 14), (CKD_4, 1))),
    Story("Stable G4 for three years, A2; already known to the renal team.", "Stanley", "Morris", "male", 82,
          ((3, 26), (0, 24)), acr=((3, 11), (0, 13)), drugs=(Drug(LOSARTAN, 6), Drug(ATORVASTATIN, 6)),
          diagnoses=_d((CKD_4, 3))),
    Story("G5 approaching kidney failure: eGFR 18 to 12 with ACR 150.", "Patricia", "Lewis", "female", 66,
          ((3, 18), (0, 12)), acr=((3, 120), (0, 150)), haemoglobin=96.0, potassium=5.4,
          drugs=(Drug(RAMIPRIL, 6, stopped=1), Drug(FUROSEMIDE, 2)), diagnoses=_d((CKD_5, 1), (ANAEMIA, 1))),
    Story("Heavy proteinuria (ACR 85) with preserved eGFR, no diabetes: meets the ACR 70 referral rule.",
          "Kwame", "Mensah", "male", 44, ((3, 68), (0, 64)), acr=((3, 40), (0, 85)), bp=(146, 92),
          drugs=(Drug(RAMIPRIL, 2),), diagnoses=_d((HYPERTENSION, 3))),
    Story("ACR 120 with diabetes, already on ACE inhibitor and SGLT2 inhibitor (the NICE exception).",
          "Fatima", "Begum", "female", 58, ((4, 62), (0, 57)), acr=((4, 70), (0, 120)), hba1c=71,
          drugs=(Drug(RAMIPRIL, 4), Drug(DAPAGLIFLOZIN, 2), Drug(METFORMIN, 9)),
          diagnoses=_d((T2DM, 10), (DIABETIC_KIDNEY, 3))),
    Story("ACR 40 with haematuria recorded this year: refer under NICE.", "Thomas", "Wright", "male", 39,
          ((3, 74), (0, 70)), acr=((3, 22), (0, 40)), diagnoses=_d((HAEMATURIA, 0.4))),
    Story("AKI stage 2 eight months ago (ibuprofen with ramipril and diuretic), since recovered.", "Susan",
          "Green", "female", 69, ((4, 70), (0, 66)), acr=((4, 2), (0, 2.5)), aki=(0.67, 2.4),
          drugs=(Drug(RAMIPRIL, 5), Drug(INDAPAMIDE, 5), Drug(IBUPROFEN, 0.8, stopped=0.66, statement=True)),
          diagnoses=_d((AKI, 0.67), (HYPERTENSION, 6))),
    Story("AKI stage 3 eighteen months ago with incomplete recovery: eGFR 60 then 45.", "Leonard", "Hall",
          "male", 77, ((4, 62), (1.6, 60), (1.4, 47), (0, 45)), acr=((4, 3), (0, 5)), aki=(1.5, 3.3),
          drugs=(Drug(LOSARTAN, 6),), diagnoses=_d((AKI, 1.5), (CKD_3A, 1))),
    Story("Rapid decline: eGFR 78 to 40 in two years (more than 15 a year).", "Helen", "Baker", "female", 57,
          ((2, 78), (0, 40)), acr=((2, 6), (0, 24)), interval_days=91, drugs=(Drug(RAMIPRIL, 1),)),
    Story("eGFR fell over 25% within a year (62 to 44), from G2 to G3b.", "Ian", "Murray", "male", 61,
          ((3, 64), (0.85, 62), (0.4, 45), (0, 44)), acr=((3, 4), (0, 9)), interval_days=91),
    Story("Resistant hypertension: five antihypertensive classes and BP 162/94, G3a.", "Winston", "Campbell",
          "male", 66, ((4, 58), (0, 55)), acr=((4, 10), (0, 14)), bp=(162, 94),
          drugs=(Drug(RAMIPRIL, 8), Drug(AMLODIPINE, 7), Drug(INDAPAMIDE, 5), Drug(DOXAZOSIN, 3),
                 Drug(BISOPROLOL, 2)),
          diagnoses=_d((HYPERTENSION, 12))),
    Story("Four antihypertensive classes including spironolactone, BP 150/92, G3b A2.", "Grace", "Okafor",
          "female", 72, ((4, 44), (0, 40)), acr=((4, 15), (0, 20)), bp=(150, 92), potassium=5.1,
          drugs=(Drug(LOSARTAN, 7), Drug(AMLODIPINE, 6), Drug(BENDROFLUMETHIAZIDE, 6),
                 Drug(SPIRONOLACTONE, 1.5)),
          diagnoses=_d((HYPERTENSION, 15), (CKD_3B, 2))),
    Story("Polycystic kidney disease (ADPKD), eGFR 68 to 55; mother on dialysis.", "Daniel", "Cooper", "male",
          41, ((5, 68), (0, 55)), acr=((5, 3), (0, 5)), bp=(138, 88), drugs=(Drug(RAMIPRIL, 4),),
          diagnoses=_d((ADPKD, 11), (HYPERTENSION, 6))),
    Story("Renal artery stenosis on three antihypertensives, eGFR 45.", "Barbara", "King", "female", 76,
          ((3, 50), (0, 45)), acr=((3, 2), (0, 3)), bp=(158, 84),
          drugs=(Drug(AMLODIPINE, 6), Drug(DOXAZOSIN, 3), Drug(BISOPROLOL, 3)),
          diagnoses=_d((RENAL_ARTERY_STENOSIS, 2), (HYPERTENSION, 10))),
    Story("Regular over-the-counter ibuprofen with ramipril at eGFR 50.", "Keith", "Robinson", "male", 64,
          ((3, 56), (0, 50)), acr=((3, 2), (0, 4)),
          drugs=(Drug(RAMIPRIL, 5), Drug(IBUPROFEN, 1, statement=True))),
    Story("Metformin still prescribed at eGFR 27.", "Joyce", "Wood", "female", 81, ((3, 33), (0, 27)),
          acr=((3, 5), (0, 8)), hba1c=52, drugs=(Drug(METFORMIN, 12), Drug(LOSARTAN, 5)),
          diagnoses=_d((T2DM, 15), (CKD_4, 0.5))),
    Story("Ramipril stopped for hyperkalaemia (potassium 6.1); G3b.", "Frank", "Thompson", "male", 73,
          ((3, 42), (0, 38)), acr=((3, 30), (0, 34)), potassium=5.9,
          drugs=(Drug(RAMIPRIL, 5, stopped=0.5), Drug(AMLODIPINE, 0.5)),
          diagnoses=_d((HYPERKALAEMIA, 0.5), (CKD_3B, 2))),
    Story("Dapagliflozin started a year ago: the expected early eGFR dip, ACR falling.", "Priya", "Nair",
          "female", 60, ((4, 55), (1.05, 53), (0.9, 49), (0, 49)), acr=((4, 40), (1, 45), (0, 26)), hba1c=60,
          drugs=(Drug(DAPAGLIFLOZIN, 1), Drug(LOSARTAN, 4), Drug(METFORMIN, 7)), diagnoses=_d((T2DM, 8))),
    Story("Type 1 diabetes aged 29: eGFR normal but microalbuminuria (ACR 4).", "Oliver", "Jones", "male", 29,
          ((4, 110), (0, 104)), acr=((4, 2), (0, 4)), bp=(124, 76), hba1c=68, drugs=(Drug(RAMIPRIL, 1),),
          diagnoses=_d((T1DM, 17))),
    Story("Aged 88, eGFR 38 unchanged for five years with no albuminuria: no referral needed.", "Edith",
          "Fletcher", "female", 88, ((5, 39), (0, 38)), acr=((5, 1.5), (0, 1.6)),
          drugs=(Drug(AMLODIPINE, 10),), diagnoses=_d((CKD_3B, 5))),
    Story("G4 with falling haemoglobin (anaemia of CKD) on oral iron.", "Harold", "Price", "male", 75,
          ((4, 34), (0, 28)), acr=((4, 20), (0, 35)), haemoglobin=98.0,
          drugs=(Drug("Ferrous fumarate 210mg tablets", 1), Drug(RAMIPRIL, 6)), diagnoses=_d((ANAEMIA, 1))),
    Story("Hyperkalaemia (potassium 5.9) on spironolactone for heart failure, G3b.", "Maureen", "Bell",
          "female", 78, ((3, 40), (0, 36)), acr=((3, 4), (0, 6)), potassium=5.8,
          drugs=(Drug(SPIRONOLACTONE, 2), Drug(BISOPROLOL, 3), Drug(RAMIPRIL, 3), Drug(FUROSEMIDE, 3)),
          diagnoses=_d((HEART_FAILURE, 3))),
    Story("Stable G3a; a confidential diagnosis and one confidential result are withheld.", "Claire",
          "Simmons", "female", 52, ((4, 58), (0, 56)), acr=((4, 1), (0, 1.2)), confidential_result=True,
          diagnoses=(Diagnosis(DEPRESSION, 3, confidential=True), Diagnosis(CKD_3A, 3))),
    Story("Stable G2-G3a; one eGFR of 6 was entered in error and must be ignored.", "Peter", "Shaw", "male",
          67, ((4, 63), (0, 60)), acr=((4, 2), (0, 2)), entered_in_error=True),
    Story("Heart failure with G3b on four kidney-relevant drugs.", "Arthur", "Reid", "male", 80,
          ((3, 44), (0, 40)), acr=((3, 8), (0, 12)), bp=(118, 70),
          drugs=(Drug(RAMIPRIL, 3), Drug(BISOPROLOL, 3), Drug(SPIRONOLACTONE, 2), Drug(FUROSEMIDE, 3),
                 Drug(EMPAGLIFLOZIN, 1)),
          diagnoses=_d((HEART_FAILURE, 3), (CKD_3B, 2))),
    Story("Gout: naproxen stopped, allopurinol started; eGFR 52.", "Trevor", "Hunt", "male", 59,
          ((3, 55), (0, 52)), acr=((3, 2), (0, 2.2)),
          drugs=(Drug(NAPROXEN, 2.5, stopped=1.5), Drug("Allopurinol 100mg tablets", 1.5)),
          diagnoses=_d((GOUT, 3))),
    Story("IgA nephropathy with haematuria and ACR 60, eGFR 58.", "Mei", "Chen", "female", 34,
          ((4, 72), (0, 58)), acr=((4, 30), (0, 60)), bp=(136, 88), drugs=(Drug(LOSARTAN, 3),),
          diagnoses=_d((IGA_NEPHROPATHY, 4), (HAEMATURIA, 0.3))),
    Story("A single eGFR of 55 last month: CKD not confirmed until a repeat after three months.", "Lucy",
          "Ward", "female", 48, ((0.2, 55), (0, 55)), acr=((0.2, 1),)),
    Story("eGFR recovered from 44 to 62 after stopping regular naproxen.", "Graham", "Fox", "male", 55,
          ((3, 63), (1.6, 44), (1.2, 58), (0, 62)), acr=((3, 2), (0, 2)),
          drugs=(Drug(NAPROXEN, 3, stopped=1.5, statement=True),)),
    Story("US-coded record (LOINC, mg/dL): normal eGFR 104 and ACR 12 mg/g.", "Emily", "Johnson", "female",
          38, ((4, 108), (0, 104)), acr=((4, 1.0), (0, 1.4)), us=True),
    Story("US-coded: G3a A2 with diabetes on metformin and lisinopril.", "Michael", "Brown", "male", 65,
          ((5, 55), (0, 52)), acr=((5, 4), (0, 5)), us=True, hba1c=60,
          drugs=(_rx(US_METFORMIN, 8), _rx(US_LISINOPRIL, 5)),
          diagnoses=_d((T2DM, 9))),
    Story("US-coded: progressing G3b with ACR 350 mg/g.", "Linda", "Davis", "female", 70, ((4, 44), (0, 33)),
          acr=((4, 20), (0, 40)), us=True, drugs=(Drug("lisinopril 10 MG Oral Tablet", 5, rxnorm="314076"),),
          diagnoses=_d((CKD_3B, 2))),
    Story("US-coded: heavy proteinuria, ACR 900 mg/g, eGFR 61.", "James", "Miller", "male", 50,
          ((3, 66), (0, 61)), acr=((3, 60), (0, 102)), us=True, bp=(148, 94),
          drugs=(_rx(US_LISINOPRIL, 2), _rx(US_HYDROCHLOROTHIAZIDE, 3))),
    Story("US-coded: rapid decline, eGFR 82 to 44 in two years.", "Robert", "Wilson", "male", 62,
          ((2, 82), (0, 44)), acr=((2, 3), (0, 12)), us=True, interval_days=91),
    Story("US-coded: G4 with regular ibuprofen and amlodipine.", "Barbara", "Moore", "female", 77,
          ((3, 30), (0, 25)), acr=((3, 10), (0, 14)), us=True,
          drugs=(_rx(US_IBUPROFEN, 1), _rx(US_AMLODIPINE, 4))),
    Story("US-coded: AKI stage 2 a year ago (creatinine more than doubled), recovered.", "William", "Taylor",
          "male", 71, ((3, 72), (0, 70)), acr=((3, 2), (0, 2)), us=True, aki=(1.0, 2.5)),
    Story("US-coded: four antihypertensive classes, BP 158/96, G3a.", "Jennifer", "Anderson", "female", 67,
          ((4, 56), (0, 50)), acr=((4, 5), (0, 9)), us=True, bp=(158, 96),
          drugs=(_rx(US_LISINOPRIL, 6), _rx(US_AMLODIPINE, 5), _rx(US_HYDROCHLOROTHIAZIDE, 5),
                 _rx(US_METOPROLOL, 3))),
    Story("Diabetic kidney disease G3a A3 on the full set: ACE inhibitor, SGLT2 inhibitor, finerenone.",
          "Imran", "Hussain", "male", 62, ((4, 60), (0, 50)), acr=((4, 50), (0, 38)), hba1c=62,
          drugs=(Drug(RAMIPRIL, 4), Drug(DAPAGLIFLOZIN, 2), Drug(FINERENONE, 0.7), Drug(ATORVASTATIN, 6)),
          diagnoses=_d((T2DM, 11), (DIABETIC_KIDNEY, 3))),
)
# fmt: on


def demo_nhs_numbers(count: int) -> list[str]:
    """Valid NHS numbers in the 999 range, which is never issued to a real person, in a fixed order."""
    numbers: list[str] = []
    serial = 100
    while len(numbers) < count:
        first_nine = f"999{serial:06d}"
        check = nhs_number_check_digit(first_nine)
        if check is not None:
            numbers.append(f"{first_nine}{check}")
        serial += 1
    return numbers
