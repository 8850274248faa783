"""Turns the demo stories into FHIR R4 resources: years of results, prescriptions and diagnoses per patient.

Deterministic: each patient draws from its own seeded generator and every date counts back from ``today``, so
the same day always gives the same practice, and adding a story leaves the other patients unchanged.

A story's other result series (any analyte, UK and US coding twins) follow their own paths on their own
schedules. Creatinine and the laboratory's eGFR agree: a creatinine is drawn for the story's eGFR (CKD-EPI
2009 without the ethnicity coefficient, inverted), then eGFR is computed from the rounded creatinine, as a
laboratory does.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any

from adapters.demo.stories import Diagnosis, Drug, LabTest, ResultSeries, Story, demo_nhs_numbers
from schemas.clinical import LOINC, NHS_NUMBER_SYSTEM, ODS_ORGANISATION_SYSTEM, SNOMED

DEMO_PRACTICE_ODS = "A12345"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
_PRACTICE_REFERENCE = {"reference": f"Organization/{DEMO_PRACTICE_ODS}"}
_YEAR = 365.25
_DOSAGES = ("One daily", "One tablet once a day", "Take one in the morning", "One twice a day")


_UK = {
    "egfr": LabTest(SNOMED, "1011481000000105", "eGFR using creatinine (CKD-EPI) per 1.73 square metres",
                  "mL/min/1.73m2", "mL/min/{1.73_m2}"),
    "creatinine": LabTest(SNOMED, "1000731000000107", "Serum creatinine level", "µmol/L", "umol/L"),
    "acr": LabTest(SNOMED, "1023491000000104", "Urine albumin:creatinine ratio", "mg/mmol", "mg/mmol"),
    "potassium": LabTest(SNOMED, "1000651000000109", "Serum potassium level", "mmol/L", "mmol/L"),
    "haemoglobin": LabTest(SNOMED, "1022431000000105", "Haemoglobin estimation", "g/L", "g/L"),
    "hba1c": LabTest(SNOMED, "999791000000106", "Haemoglobin A1c level (IFCC standardised)", "mmol/mol",
                   "mmol/mol"),
    "systolic": LabTest(SNOMED, "72313002", "Systolic arterial pressure", "mmHg", "mm[Hg]"),
    "diastolic": LabTest(SNOMED, "1091811000000102", "Diastolic arterial pressure", "mmHg", "mm[Hg]"),
}  # fmt: skip
_US = {
    "egfr": LabTest(LOINC, "62238-1", "Glomerular filtration rate/1.73 sq M.predicted (CKD-EPI)",
                  "mL/min/{1.73_m2}", "mL/min/{1.73_m2}"),
    "creatinine": LabTest(LOINC, "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", "mg/dL"),
    "acr": LabTest(LOINC, "14959-1", "Microalbumin/Creatinine [Mass Ratio] in Urine", "mg/g", "mg/g"),
    "potassium": LabTest(LOINC, "2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", "mmol/L"),
    "haemoglobin": LabTest(LOINC, "718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", "g/dL"),
    "hba1c": LabTest(LOINC, "4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", "%"),
    "systolic": LabTest(LOINC, "8480-6", "Systolic blood pressure", "mm[Hg]", "mm[Hg]"),
    "diastolic": LabTest(LOINC, "8462-4", "Diastolic blood pressure", "mm[Hg]", "mm[Hg]"),
}  # fmt: skip
_BP_PANEL = {"system": LOINC, "code": "85354-9", "display": "Blood pressure panel with all children optional"}


def egfr_ckd_epi_2009(creatinine_mg_dl: float, age: int, female: bool) -> float:
    """CKD-EPI 2009 without the ethnicity coefficient (CLINICAL.md, "eGFR from creatinine")."""
    kappa, alpha = (0.7, -0.329) if female else (0.9, -0.411)
    ratio = creatinine_mg_dl / kappa
    sex_factor = 1.018 if female else 1.0
    return float(141 * min(ratio, 1) ** alpha * max(ratio, 1) ** -1.209 * 0.993**age * sex_factor)


def creatinine_for_egfr(egfr: float, age: int, female: bool) -> float:
    """The creatinine (mg/dL) for which CKD-EPI 2009 gives ``egfr``."""
    kappa, alpha = (0.7, -0.329) if female else (0.9, -0.411)
    scaled = egfr / (141 * 0.993**age * (1.018 if female else 1.0))
    ratio = scaled ** (1 / alpha) if scaled >= 1 else scaled ** (-1 / 1.209)
    return float(ratio * kappa)


def _along(path: tuple[tuple[float, float], ...], years_before: float) -> float:
    """The story's value at a time, on the line between its anchors (flat beyond the first and last)."""
    points = sorted(path, reverse=True)
    if years_before >= points[0][0]:
        return points[0][1]
    for (older_t, older_v), (newer_t, newer_v) in pairwise(points):
        if years_before >= newer_t:
            share = (older_t - years_before) / (older_t - newer_t)
            return older_v + (newer_v - older_v) * share
    return points[-1][1]


class _PatientRecord:
    """Builds one story's resources."""

    def __init__(self, index: int, story: Story, nhs_number: str, today: date) -> None:
        self.story = story
        self.today = today
        self.tests = _US if story.us else _UK
        self.female = story.sex == "female"
        self.random = random.Random(f"vclinic-demo-{index}")  # noqa: S311 - synthetic data, not secrets
        self.patient_id = f"demo-{index:02d}"
        self.nhs_number = nhs_number
        self.resources: list[dict[str, Any]] = []
        self._serial = 0

    def build(self) -> list[dict[str, Any]]:
        self.resources.append(self._patient())
        if self.story.egfr:
            for day in self._test_days():
                self._blood_test(day)
        for position, series in enumerate(self.story.results):
            self._series(series, blood_pressure=position == 0 and not self.story.egfr)
        if self.story.aki is not None:
            self._aki(*self.story.aki)
        if self.story.confidential_result:
            self._withhold_one_result()
        if self.story.entered_in_error:
            self._erroneous_egfr()
        for position, drug in enumerate(self.story.drugs):
            self._medication(position, drug)
        for diagnosis in self.story.diagnoses:
            self.resources.append(self._condition(diagnosis))
        return self.resources

    # --- when ----------------------------------------------------------------------------------------------

    def _day(self, years_before: float) -> date:
        return self.today - timedelta(days=round(years_before * _YEAR))

    def _years_before(self, day: date) -> float:
        return (self.today - day).days / _YEAR

    def _test_days(self) -> list[date]:
        span = max(t for t, _ in self.story.egfr)
        earliest = self._day(span)
        day = self._day(self.story.last_tests) - timedelta(days=self.random.randint(7, 40))
        days = []
        while day >= earliest:
            days.append(day)
            egfr = _along(self.story.egfr, self._years_before(day))
            interval = self.story.interval_days or (91 if egfr < 30 else 182 if egfr < 60 else 365)
            day -= timedelta(days=interval + self.random.randint(-20, 20))
        return sorted(days)

    def _moment(self, day: date) -> datetime:
        return datetime.combine(
            day, time(self.random.randint(8, 11), self.random.choice((0, 15, 30, 45))), UTC
        )

    # --- results -------------------------------------------------------------------------------------------

    def _age_on(self, day: date) -> int:
        return int(self.story.age - self._years_before(day))

    def _blood_test(self, day: date) -> None:
        story = self.story
        years_before = self._years_before(day)
        at = self._moment(day)
        target = max(4.0, _along(story.egfr, years_before) + self.random.gauss(0, 1.5))
        creatinine = creatinine_for_egfr(target, self._age_on(day), self.female)
        self._kidney_function(at, creatinine)
        self._lab(at, "potassium", round(story.potassium + self.random.gauss(0, 0.2), 1))
        if story.acr:
            acr = _along(story.acr, years_before) * self.random.uniform(0.88, 1.12)
            self._lab(at, "acr", round(acr * 8.84) if story.us else round(acr, 1))
        if self.random.random() < 0.5:
            haemoglobin = story.haemoglobin + self.random.gauss(0, 4)
            self._lab(at, "haemoglobin", round(haemoglobin / 10, 1) if story.us else round(haemoglobin))
        if story.hba1c is not None:
            hba1c = story.hba1c + self.random.gauss(0, 3)
            self._lab(at, "hba1c", round(hba1c / 10.929 + 2.15, 1) if story.us else round(hba1c))
        self._blood_pressure(day - timedelta(days=self.random.randint(0, 10)))

    def _series(self, series: ResultSeries, *, blood_pressure: bool) -> None:
        """One analyte's results along its path, every ``interval_days`` or so, as the story's coding writes
        them."""
        earliest = self._day(max(t for t, _ in series.path))
        day = self.today - timedelta(days=self.random.randint(7, 40))
        while day >= earliest:
            value = _along(series.path, self._years_before(day)) * self.random.gauss(1, series.spread)
            if self.story.us:
                reported = round(value * series.us_scale + series.us_offset, series.us_decimals)
            else:
                reported = round(value, series.decimals)
            test = series.us if self.story.us else series.uk
            self._reading(self._moment(day), test, reported, without_unit=series.without_unit)
            if blood_pressure:
                self._blood_pressure(day - timedelta(days=self.random.randint(0, 10)))
            day -= timedelta(days=series.interval_days + self.random.randint(-20, 20))

    def _kidney_function(self, at: datetime, creatinine_mg_dl: float) -> None:
        if self.story.us:
            creatinine = round(creatinine_mg_dl, 2)
            self._lab(at, "creatinine", creatinine)
            self._lab(
                at, "egfr", round(egfr_ckd_epi_2009(creatinine, self._age_on(at.date()), self.female), 1)
            )
            return
        creatinine_umol = round(creatinine_mg_dl * 88.4)
        egfr = round(egfr_ckd_epi_2009(creatinine_umol / 88.4, self._age_on(at.date()), self.female))
        self._lab(at, "creatinine", creatinine_umol)
        # UK laboratories report an eGFR above 90 as ">90" (UK Kidney Association eGFR guidance).
        if egfr > 90:
            self._lab(at, "egfr", 90, comparator=">")
        else:
            self._lab(at, "egfr", egfr)

    def _aki(self, years_before: float, peak: float) -> None:
        start = self._day(years_before)
        baseline = creatinine_for_egfr(
            _along(self.story.egfr, years_before), self._age_on(start), self.female
        )
        for days_after, ratio in ((0, peak), (2, 1 + (peak - 1) * 0.6), (14, 1.1)):
            self._kidney_function(self._moment(start + timedelta(days=days_after)), baseline * ratio)

    def _withhold_one_result(self) -> None:
        """The practice restricts the eGFR before the latest: the summary must say one is withheld."""
        code = self.tests["egfr"].code
        egfrs = [r for r in self.resources if r.get("code", {}).get("coding", [{}])[0].get("code") == code]
        egfrs.sort(key=lambda observation: observation["effectiveDateTime"])
        egfrs[-2]["meta"] = _confidential_meta()

    def _erroneous_egfr(self) -> None:
        day = self._day(1.3)
        self._lab(self._moment(day), "egfr", 6, status="entered-in-error")

    def _lab(
        self,
        at: datetime,
        kind: str,
        value: float,
        *,
        comparator: str | None = None,
        status: str = "final",
    ) -> None:
        self._reading(at, self.tests[kind], value, comparator=comparator, status=status)

    def _reading(
        self,
        at: datetime,
        test: LabTest,
        value: float,
        *,
        comparator: str | None = None,
        status: str = "final",
        without_unit: bool = False,
    ) -> None:
        quantity: dict[str, Any] = {"value": value}
        if not without_unit:
            quantity |= {"unit": test.unit, "system": UCUM, "code": test.ucum}
        if comparator is not None:
            quantity["comparator"] = comparator
        observation = self._observation(
            _concept(test), status, "laboratory", {"effectiveDateTime": at.isoformat()}
        )
        observation["issued"] = (at + timedelta(hours=6)).isoformat()
        observation["valueQuantity"] = quantity
        self.resources.append(observation)

    def _blood_pressure(self, day: date) -> None:
        systolic = round(self.story.bp[0] + self.random.gauss(0, 6))
        diastolic = round(self.story.bp[1] + self.random.gauss(0, 4))
        if self.story.us:
            # US records carry a reading as one panel with two components (LOINC 85354-9).
            panel = self._observation(
                {"coding": [_BP_PANEL]},
                "final",
                "vital-signs",
                {"effectiveDateTime": self._moment(day).isoformat()},
            )
            panel["component"] = [
                {"code": _concept(self.tests[kind]), "valueQuantity": _mmhg(value, self.tests[kind])}
                for kind, value in (("systolic", systolic), ("diastolic", diastolic))
            ]
            self.resources.append(panel)
            return
        # UK GP systems record the two values as separate observations, dated without a time.
        for kind, value in (("systolic", systolic), ("diastolic", diastolic)):
            reading = self._observation(
                _concept(self.tests[kind]), "final", "vital-signs", {"effectiveDateTime": day.isoformat()}
            )
            reading["valueQuantity"] = _mmhg(value, self.tests[kind])
            self.resources.append(reading)

    def _observation(
        self, code: dict[str, Any], status: str, category: str, when: dict[str, str]
    ) -> dict[str, Any]:
        self._serial += 1
        category_coding = {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": category,
        }
        return {
            "resourceType": "Observation",
            "id": f"{self.patient_id}-obs-{self._serial}",
            "status": status,
            "category": [{"coding": [category_coding]}],
            "code": code,
            "subject": {"reference": f"Patient/{self.patient_id}"},
            **when,
        }

    # --- medicines and diagnoses ---------------------------------------------------------------------------

    def _medication(self, position: int, drug: Drug) -> None:
        started = self._day(drug.started)
        stopped = self._day(drug.stopped) if drug.stopped is not None else None
        last_review = (stopped or self.today) - timedelta(days=self.random.randint(20, 300))
        authorised = max(started, last_review)
        dosage = self.random.choice(_DOSAGES)
        if drug.statement:
            statement = self._prescribed("MedicationStatement", position, drug)
            statement["status"] = "stopped" if stopped else "active"
            period = {"start": started.isoformat()} | ({"end": stopped.isoformat()} if stopped else {})
            statement["effectivePeriod"] = period
            statement["dateAsserted"] = authorised.isoformat()
            statement["dosage"] = [{"text": dosage}]
            self.resources.append(statement)
            return
        request = self._prescribed("MedicationRequest", position, drug)
        request["status"] = "stopped" if stopped else "active"
        request["intent"] = "order"
        # A titrated medicine's current request is the one that set its dose, on the day it did.
        request["authoredOn"] = (started if drug.titrated_from else authorised).isoformat()
        request["dosageInstruction"] = [{"text": dosage}]
        for step, (years_before, name) in enumerate(drug.titrated_from):
            self.resources.append(
                {
                    "resourceType": "MedicationRequest",
                    "id": f"{request['id']}-dose-{step + 1}",
                    "subject": {"reference": f"Patient/{self.patient_id}"},
                    "medicationCodeableConcept": {"text": name},
                    "status": "stopped",
                    "intent": "order",
                    "authoredOn": self._day(years_before).isoformat(),
                    "dosageInstruction": [{"text": dosage}],
                }
            )
        self.resources.append(request)

    def _prescribed(self, resource_type: str, position: int, drug: Drug) -> dict[str, Any]:
        """The drug named by concept, by a contained Medication or by a referenced one, in turn."""
        kind = "request" if resource_type == "MedicationRequest" else "statement"
        resource_id = f"{self.patient_id}-{kind}-{position + 1}"
        resource: dict[str, Any] = {
            "resourceType": resource_type,
            "id": resource_id,
            "subject": {"reference": f"Patient/{self.patient_id}"},
        }
        concept: dict[str, Any] = {"text": drug.name}
        if drug.rxnorm is not None:
            concept["coding"] = [{"system": RXNORM, "code": drug.rxnorm, "display": drug.name}]
        variant = position % 3 if not self.story.us and resource_type == "MedicationRequest" else 0
        if variant == 0:
            resource["medicationCodeableConcept"] = concept
        elif variant == 1:
            resource["contained"] = [{"resourceType": "Medication", "id": "med", "code": concept}]
            resource["medicationReference"] = {"reference": "#med"}
        else:
            medication_id = f"{resource_id}-medication"
            self.resources.append({"resourceType": "Medication", "id": medication_id, "code": concept})
            resource["medicationReference"] = {"reference": f"Medication/{medication_id}"}
        return resource

    def _condition(self, diagnosis: Diagnosis) -> dict[str, Any]:
        self._serial += 1
        code, display = diagnosis.concept
        resolved = code == "14669001"  # an AKI episode is over once recovered
        condition: dict[str, Any] = {
            "resourceType": "Condition",
            "id": f"{self.patient_id}-condition-{self._serial}",
            "clinicalStatus": _status("condition-clinical", "resolved" if resolved else "active"),
            "verificationStatus": _status("condition-ver-status", "confirmed"),
            "code": {"coding": [{"system": SNOMED, "code": code, "display": display}], "text": display},
            "subject": {"reference": f"Patient/{self.patient_id}"},
            "onsetDateTime": self._day(diagnosis.onset).isoformat(),
        }
        if diagnosis.confidential:
            condition["meta"] = _confidential_meta()
        return condition

    def _patient(self) -> dict[str, Any]:
        story = self.story
        born = self.today - timedelta(days=round(story.age * _YEAR) + self.random.randint(0, 360))
        return {
            "resourceType": "Patient",
            "id": self.patient_id,
            "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": self.nhs_number}],
            "name": [{"use": "official", "family": story.family, "given": [story.given]}],
            "gender": story.sex,
            "birthDate": born.isoformat(),
            "generalPractitioner": [_PRACTICE_REFERENCE],
            "managingOrganization": _PRACTICE_REFERENCE,
        }


def _concept(test: LabTest) -> dict[str, Any]:
    return {"coding": [{"system": test.system, "code": test.code, "display": test.display}]}


def _mmhg(value: int, test: LabTest) -> dict[str, Any]:
    return {"value": value, "unit": test.unit, "system": UCUM, "code": test.ucum}


def _status(code_system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": f"http://terminology.hl7.org/CodeSystem/{code_system}", "code": code}]}


def _confidential_meta() -> dict[str, Any]:
    return {"security": [{"system": _CONFIDENTIALITY, "code": "R", "display": "restricted"}]}


def practice_organisation() -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": DEMO_PRACTICE_ODS,
        "identifier": [{"system": ODS_ORGANISATION_SYSTEM, "value": DEMO_PRACTICE_ODS}],
        "name": "Mile End Surgery (demo)",
    }


def patient_resources(stories: tuple[Story, ...], today: date) -> list[tuple[str, list[dict[str, Any]]]]:
    """Each demo patient's NHS number and resources, in story order."""
    numbers = demo_nhs_numbers(len(stories))
    return [
        (number, _PatientRecord(index, story, number, today).build())
        for index, (story, number) in enumerate(zip(stories, numbers, strict=True), start=1)
    ]
