"""From what an adapter fetched (``SourceRecord``) to the canonical ``ClinicalRecord``.

The rules, with their source:
- results, medicines and problems recorded in error are skipped (CLINICAL.md "Units and codes"): observation
  status ``entered-in-error`` or ``cancelled``, the same for medications, and condition verification status
  ``entered-in-error``;
- confidential items are withheld and counted with those the practice withheld upstream;
- codes map to analytes and units convert through the ``AnalyteCatalogue`` the specialties declared; values
  outside the plausible range are dropped and counted, with warnings that name the analyte and the count,
  never the patient;
- blood-pressure panels split into ``BloodPressure``; standalone systolic and diastolic results taken at the
  same moment are paired;
- comparators (``>90``) are kept; every item carries its provenance; series are sorted oldest first.

This is the hot path (a long-standing patient has thousands of results), so the loop does one tuple-keyed dict
lookup per coding and per unit, converts with a precomputed ``Conversion`` and builds no pydantic models.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from operator import attrgetter

from app.records.analytes import AnalyteCatalogue, Conversion
from schemas.clinical import (
    BloodPressure,
    ClinicalRecord,
    Coding,
    Condition,
    Measurement,
    Medication,
    Patient,
    Provenance,
    SourceCondition,
    SourceMedication,
    SourceObservation,
    SourceQuantity,
    SourceRecord,
    SourceStatus,
)

SKIPPED_STATUSES = frozenset({"entered-in-error", "cancelled"})

# The record keeps blood pressure as paired readings, so these three analytes are the records layer's own.
SYSTOLIC_BP = "systolic-bp"
DIASTOLIC_BP = "diastolic-bp"
BLOOD_PRESSURE_PANEL = "blood-pressure-panel"
_SYSTOLIC, _DIASTOLIC, _PANEL = SYSTOLIC_BP, DIASTOLIC_BP, BLOOD_PRESSURE_PANEL
_TAKEN_AT = attrgetter("taken_at")
_UNKNOWN_UNIT = "unknown-unit"
_IMPLAUSIBLE = "implausible"
_NO_VALUE = "no-value"
_UNDATED = "undated"


class _Normaliser:
    """One record's pass: the per-(analyte, unit) conversions it met and the counts behind its warnings."""

    def __init__(self, source: SourceRecord, catalogue: AnalyteCatalogue) -> None:
        self.catalogue = catalogue
        self.practice_ods = source.practice_ods
        self.adapter = source.adapter
        self.conversions: dict[tuple[str, str | None], Conversion | None] = {}
        self.dropped: Counter[tuple[str, str]] = Counter()
        self.unknown_units: defaultdict[str, set[str]] = defaultdict(set)
        self.measurements: defaultdict[str, list[Measurement]] = defaultdict(list)
        self.blood_pressures: list[BloodPressure] = []
        self.systolic: list[Measurement] = []
        self.diastolic: list[Measurement] = []
        self.withheld = source.withheld_upstream

    def provenance(self, resource_id: str, code: Coding, unit: str | None) -> Provenance:
        return Provenance(self.practice_ods, self.adapter, resource_id, code, unit)

    def conversion(self, analyte: str, unit: str | None) -> Conversion | None:
        key = (analyte, unit)
        try:
            return self.conversions[key]
        except KeyError:
            found = self.conversions[key] = self.catalogue.conversion_for(analyte, unit)
            if found is None:
                self.unknown_units[analyte].add("no unit" if unit is None else repr(unit[:24]))
            return found

    def observations(self, observations: list[SourceObservation]) -> None:
        """The hot loop. A scalar result is mapped, converted and range-checked inline, the same steps as
        ``measure`` without its call overhead; panels and codes needing a second look go to ``uncommon``."""
        lookup = self.catalogue.by_coding.get
        conversions = self.conversions
        dropped = self.dropped
        practice_ods, adapter = self.practice_ods, self.adapter
        for observation in observations:
            if observation.status in SKIPPED_STATUSES:
                continue
            if observation.confidential:
                self.withheld += 1
                continue
            analyte = None
            for code in observation.codings:
                analyte = lookup((code.system, code.code))
                if analyte is not None:
                    break
            if analyte is None or analyte == _PANEL or observation.components:
                self.uncommon(observation)
                continue
            value = observation.value
            taken_at = observation.effective
            if value is None or taken_at is None:
                dropped[(analyte, _NO_VALUE if value is None else _UNDATED)] += 1
                continue
            if taken_at.tzinfo is None:
                taken_at = taken_at.replace(tzinfo=UTC)  # a bare date, as in _aware
            unit = observation.unit
            try:
                conversion = conversions[(analyte, unit)]
            except KeyError:
                conversion = self.conversion(analyte, unit)
            if conversion is None:
                dropped[(analyte, _UNKNOWN_UNIT)] += 1
                continue
            canonical = (value + conversion.offset) * conversion.scale
            if conversion.round_to is not None:
                canonical = round(canonical, conversion.round_to)
            if not conversion.low <= canonical <= conversion.high:
                dropped[(analyte, _IMPLAUSIBLE)] += 1
                continue
            provenance = Provenance(practice_ods, adapter, observation.resource_id, code, unit)
            self.file(
                Measurement(analyte, taken_at, canonical, conversion.unit, provenance, observation.comparator)
            )

    def uncommon(self, observation: SourceObservation) -> None:
        """Codes with stray whitespace, blood-pressure panels and results sent as components."""
        found = self.catalogue.analyte_of(observation.codings)
        if found is None or found[0] == _PANEL or (observation.value is None and observation.components):
            if observation.components:
                self.panel(observation, None if found is None else found[1])
            return
        analyte, code = found
        taken_at = _aware(observation.effective)
        if taken_at is None:
            self.dropped[(analyte, _UNDATED)] += 1
            return
        measurement = self.measure(analyte, code, observation, taken_at, observation.resource_id)
        if measurement is not None:
            self.file(measurement)

    def measure(
        self,
        analyte: str,
        code: Coding,
        quantity: SourceObservation | SourceQuantity,
        taken_at: datetime,
        resource_id: str,
    ) -> Measurement | None:
        """One value in the canonical unit, or None (and a count) when it cannot be trusted."""
        if quantity.value is None:
            self.dropped[(analyte, _NO_VALUE)] += 1
            return None
        conversion = self.conversion(analyte, quantity.unit)
        if conversion is None:
            self.dropped[(analyte, _UNKNOWN_UNIT)] += 1
            return None
        canonical = conversion.convert(quantity.value)
        if not conversion.plausible(canonical):
            self.dropped[(analyte, _IMPLAUSIBLE)] += 1
            return None
        provenance = self.provenance(resource_id, code, quantity.unit)
        return Measurement(analyte, taken_at, canonical, conversion.unit, provenance, quantity.comparator)

    def file(self, measurement: Measurement) -> None:
        """Systolic and diastolic readings wait to be paired; everything else joins its series."""
        analyte = measurement.analyte
        if analyte == _SYSTOLIC:
            self.systolic.append(measurement)
        elif analyte == _DIASTOLIC:
            self.diastolic.append(measurement)
        else:
            self.measurements[analyte].append(measurement)

    def panel(self, observation: SourceObservation, code: Coding | None) -> None:
        """A reading sent as one observation with systolic and diastolic components."""
        components = [
            (found[0], found[1], component)
            for component in observation.components
            if (found := self.catalogue.analyte_of(component.codings)) is not None
            and found[0] in (_SYSTOLIC, _DIASTOLIC)
        ]
        taken_at = _aware(observation.effective)
        if taken_at is None:
            for analyte, _, _ in components:
                self.dropped[(analyte, _UNDATED)] += 1
            return
        readings = {
            analyte: self.measure(analyte, component_code, component, taken_at, observation.resource_id)
            for analyte, component_code, component in components
        }
        systolic, diastolic = readings.get(_SYSTOLIC), readings.get(_DIASTOLIC)
        if systolic is not None and diastolic is not None:
            header = code if code is not None else _first_coding(observation)
            provenance = self.provenance(observation.resource_id, header, systolic.provenance.unit)
            self.blood_pressures.append(BloodPressure(taken_at, systolic.value, diastolic.value, provenance))
            return
        for reading in (systolic, diastolic):
            if reading is not None:
                self.file(reading)

    def pair_standalone_readings(self) -> None:
        """Pair systolic and diastolic results taken at the same moment; the rest stay single measurements."""
        waiting: defaultdict[datetime, list[Measurement]] = defaultdict(list)
        for diastolic in self.diastolic:
            waiting[diastolic.taken_at].append(diastolic)
        unpaired_systolic: list[Measurement] = []
        for systolic in self.systolic:
            partners = waiting.get(systolic.taken_at)
            if not partners:
                unpaired_systolic.append(systolic)
                continue
            diastolic = partners.pop(0)
            # Provenance names one resource; a pair made of two names both, systolic first.
            provenance = self.provenance(
                f"{systolic.provenance.resource_id}+{diastolic.provenance.resource_id}",
                systolic.provenance.code,
                systolic.provenance.unit,
            )
            self.blood_pressures.append(
                BloodPressure(systolic.taken_at, systolic.value, diastolic.value, provenance)
            )
        if unpaired_systolic:
            self.measurements[_SYSTOLIC].extend(unpaired_systolic)
        unpaired_diastolic = [reading for partners in waiting.values() for reading in partners]
        if unpaired_diastolic:
            self.measurements[_DIASTOLIC].extend(unpaired_diastolic)

    def medications(self, medications: list[SourceMedication]) -> list[Medication]:
        kept = []
        for medication in medications:
            if medication.status in SKIPPED_STATUSES:
                continue
            if medication.confidential:
                self.withheld += 1
                continue
            code = medication.codings[0] if medication.codings else Coding("", "", medication.name)
            kept.append(
                Medication(
                    medication.name,
                    medication.codings,
                    medication.status,
                    medication.authored_on,
                    medication.dosage,
                    self.provenance(medication.resource_id, code, None),
                )
            )
        return kept

    def conditions(self, conditions: list[SourceCondition]) -> list[Condition]:
        kept = []
        for condition in conditions:
            if condition.verification_status == "entered-in-error":
                continue
            if condition.confidential:
                self.withheld += 1
                continue
            code = condition.codings[0] if condition.codings else Coding("", "")
            display = next((coding.display for coding in condition.codings if coding.display), None)
            provenance = self.provenance(condition.resource_id, code, None)
            kept.append(
                Condition(condition.codings, display, condition.clinical_status, condition.onset, provenance)
            )
        return kept

    def warnings(self) -> list[str]:
        messages = []
        for (analyte, reason), count in sorted(self.dropped.items()):
            units = self.unknown_units.get(analyte, set())
            messages.append(_drop_warning(self.catalogue, analyte, reason, count, units))
        if self.withheld:
            noun = "item" if self.withheld == 1 else "items"
            messages.append(f"{self.withheld} confidential {noun} withheld by the practice")
        return messages


def _aware(moment: datetime | None) -> datetime | None:
    # FHIR requires an offset whenever a time is given, so a naive value is a bare date: read it as UTC.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _first_coding(observation: SourceObservation) -> Coding:
    return observation.codings[0] if observation.codings else Coding("", "")


def _results(count: int) -> str:
    return "1 result" if count == 1 else f"{count} results"


def _drop_warning(catalogue: AnalyteCatalogue, analyte: str, reason: str, count: int, units: set[str]) -> str:
    if reason == _IMPLAUSIBLE:
        definition = catalogue.definition(analyte)
        bounds = definition.plausible
        return (
            f"{analyte}: {_results(count)} outside the plausible range {bounds.low:g}-{bounds.high:g} "
            f"{definition.canonical_unit} dropped (wrong unit or magnitude)"
        )
    if reason == _UNKNOWN_UNIT:
        return f"{analyte}: {_results(count)} in an unrecognised unit ({', '.join(sorted(units))}) dropped"
    if reason == _NO_VALUE:
        return f"{analyte}: {_results(count)} without a numeric value ignored"
    return f"{analyte}: {_results(count)} without a date ignored"


def _failure_warnings(source: SourceRecord) -> list[str]:
    """Each part of the record that did not arrive whole, named: its gaps say nothing about the patient."""
    return [
        f"{failure.part} not read in full from practice {source.practice_ods} ({failure.detail}): "
        "results may be missing"
        for failure in source.failures
    ]


def _source_status(source: SourceRecord) -> SourceStatus:
    if not source.failures:
        return SourceStatus(source.practice_ods, source.adapter, "ok")
    failed = ", ".join(f"{failure.part} ({failure.detail})" for failure in source.failures)
    return SourceStatus(source.practice_ods, source.adapter, "partial", f"failed: {failed}")


def normalise_record(source: SourceRecord, catalogue: AnalyteCatalogue) -> ClinicalRecord:
    """The canonical record for one practice's answer: mapped, converted, filtered, counted and sorted."""
    normaliser = _Normaliser(source, catalogue)
    normaliser.observations(source.observations)
    normaliser.pair_standalone_readings()
    medications = normaliser.medications(source.medications)
    conditions = normaliser.conditions(source.conditions)
    measurements = dict(normaliser.measurements)
    for series in measurements.values():
        series.sort(key=_TAKEN_AT)
    normaliser.blood_pressures.sort(key=_TAKEN_AT)
    patient = source.patient
    return ClinicalRecord(
        patient=Patient(patient.nhs_number, patient.name, patient.birth_date, patient.sex),
        measurements=measurements,
        blood_pressures=normaliser.blood_pressures,
        medications=medications,
        conditions=conditions,
        sources=[_source_status(source)],
        warnings=[*_failure_warnings(source), *source.upstream_warnings, *normaliser.warnings()],
        withheld_confidential=normaliser.withheld,
        dropped_implausible=sum(
            count for (_, reason), count in normaliser.dropped.items() if reason == _IMPLAUSIBLE
        ),
    )
