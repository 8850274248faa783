"""The diabetes criteria, each ``met``, ``not-met`` or ``insufficient-data`` with its evidence.

Every HbA1c comparison is on whole mmol/mol as a laboratory reports it (units.py); every criterion reads the
latest result in the 12 months up to today. Two rules of evidence hold, as for nephrology: a censored result
decides a comparison only when its bound does, and the absence of a code or a medicine is evidence only in a
complete record. The boundaries are docs/clinical/diabetes.md's.
"""

from __future__ import annotations

from app.specialties.diabetes.facts import DiabetesFacts
from app.specialties.diabetes.glycaemia import (
    DayResult,
    GlycaemicPicture,
    glycaemic_picture,
)
from app.specialties.diabetes.medicines import class_title
from app.specialties.outcomes import CriterionOutcome, Status, months_before

TARGET = 48
"""NICE NG28 1.5.7: healthy living and diet, alone or with a medicine not associated with hypoglycaemia."""
TARGET_ON_HYPOGLYCAEMIA_DRUG = 53
"""NICE NG28 1.5.7: on a medicine associated with hypoglycaemia."""
INTENSIFY = 58
"""NICE NG28 1.5.8: "rise to 58 mmol/mol (7.5%) or higher" - intensify. 58 itself is met."""
QOF_CEILING = 75
"""Above 75 (QOF IND136; NCL ICB priority group 2). 75 itself is not met."""
VERY_HIGH = 90
"""Above 90 (NCL ICB priority group 1). 90 itself is not met."""
RISE = 6
"""A rise of 0.5 % is 5.46 mmol/mol (0.5 * 10.929); between whole laboratory values that is 6 or more."""
RISE_AFTER_MONTHS = 6
RISE_WITHIN_MONTHS = 12
DIABETES_RANGE = 48
"""HbA1c 48 or more, or fasting glucose 7.0 or more (WHO 2011; NICE PH38)."""
FASTING_DIABETES_RANGE = 7.0
NDH_LOW, NDH_HIGH = 42, 47
"""Non-diabetic hyperglycaemia: HbA1c 42-47 or fasting glucose 5.5-6.9 (NICE PH38; QOF NDH)."""
FASTING_NDH_LOW, FASTING_NDH_HIGH = 5.5, 6.9
LOW_ON_HYPOGLYCAEMIA_DRUG = 48
"""Below 48 on a sulfonylurea, meglitinide or insulin: NICE advises against intensive management below 48."""
INCOMPLETE = "the record is incomplete"


TITLES = {
    "hba1c-above-individual-target": (
        "HbA1c above the individual target (48, or 53 on a drug causing hypoglycaemia)"
    ),
    "hba1c-58-or-more-intensify": "HbA1c 58 mmol/mol or more: intensify treatment",
    "hba1c-over-75": "HbA1c above 75 mmol/mol",
    "hba1c-over-90": "HbA1c above 90 mmol/mol",
    "rising-hba1c": "HbA1c risen by 6 mmol/mol (0.5%) or more over 6 to 12 months",
    "undiagnosed-diabetes-range": "HbA1c or fasting glucose in the diabetes range with no diabetes coded",
    "ndh-range": "HbA1c or fasting glucose in the non-diabetic hyperglycaemia range",
    "hypo-risk-on-su-or-insulin-with-low-hba1c": "HbA1c below 48 on a sulfonylurea or insulin",
}


def _outcome(code: str, status: Status, evidence: str) -> CriterionOutcome:
    return CriterionOutcome(code, TITLES[code], status, evidence)


def _hba1c(result: DayResult) -> str:
    return f"latest HbA1c {result.shown} on {result.day}"


def _no_hba1c(picture: GlycaemicPicture) -> str:
    older = picture.hba1c[-1] if picture.hba1c else None
    found = f"; the latest is {older.shown} on {older.day}" if older else ""
    incomplete = f", and {INCOMPLETE}" if not picture.record_complete else ""
    return f"no HbA1c {picture.window}{found}{incomplete}"


def _drugs(classes: dict[str, list[str]]) -> str:
    return "; ".join(f"{class_title(code)} ({', '.join(names)})" for code, names in classes.items())


def _decided(verdict: bool | None) -> Status:
    return "insufficient-data" if verdict is None else ("met" if verdict else "not-met")


def individual_target(picture: GlycaemicPicture) -> tuple[int, str]:
    """The NG28 HbA1c target and why; 48 is assumed, and said to be, when medicines may be missing."""
    drugs = picture.hypoglycaemia_drugs
    if drugs:
        return TARGET_ON_HYPOGLYCAEMIA_DRUG, f"target 53 on {_drugs(drugs)}"
    if picture.record_complete:
        return TARGET, "target 48: no drug causing hypoglycaemia active"
    return TARGET, f"target 48 assumed: no drug causing hypoglycaemia found, but {INCOMPLETE}"


def hba1c_above_individual_target(picture: GlycaemicPicture) -> CriterionOutcome:
    """Latest HbA1c above 48, or above 53 on a drug causing hypoglycaemia (NICE NG28 1.5.7)."""
    code = "hba1c-above-individual-target"
    latest = picture.latest_hba1c
    if not picture.diabetes:
        absent = "no diabetes coded" if picture.record_complete else f"no diabetes found, but {INCOMPLETE}"
        status: Status = "not-met" if picture.record_complete else "insufficient-data"
        return _outcome(code, status, f"{absent}: an individual target applies to diabetes")
    if latest is None:
        return _outcome(code, "insufficient-data", _no_hba1c(picture))
    target, why = individual_target(picture)
    verdict = latest.above(target)
    side = {True: "above", False: "not above", None: "possibly above"}[verdict]
    return _outcome(code, _decided(verdict), f"{_hba1c(latest)} is {side} the {why}")


def _threshold(code: str, picture: GlycaemicPicture, threshold: int, *, inclusive: bool) -> CriterionOutcome:
    latest = picture.latest_hba1c
    if latest is None:
        return _outcome(code, "insufficient-data", _no_hba1c(picture))
    verdict = latest.at_least(threshold) if inclusive else latest.above(threshold)
    words = ("is", "is not", "may be") if inclusive else ("is above", "is not above", "may be above")
    side = {True: words[0], False: words[1], None: words[2]}[verdict]
    after = f"{threshold} or more" if inclusive else f"{threshold}"
    drugs = picture.classes
    on = f"; glucose-lowering: {_drugs(drugs)}" if drugs else "; no glucose-lowering medicine active"
    return _outcome(code, _decided(verdict), f"{_hba1c(latest)} {side} {after}{on}")


def hba1c_58_or_more_intensify(picture: GlycaemicPicture) -> CriterionOutcome:
    """Latest HbA1c 58 mmol/mol or more (NICE NG28 1.5.8)."""
    return _threshold("hba1c-58-or-more-intensify", picture, INTENSIFY, inclusive=True)


def hba1c_over_75(picture: GlycaemicPicture) -> CriterionOutcome:
    """Latest HbA1c above 75 mmol/mol (QOF IND136; NCL ICB priority group 2)."""
    return _threshold("hba1c-over-75", picture, QOF_CEILING, inclusive=False)


def hba1c_over_90(picture: GlycaemicPicture) -> CriterionOutcome:
    """Latest HbA1c above 90 mmol/mol (NCL ICB priority group 1)."""
    return _threshold("hba1c-over-90", picture, VERY_HIGH, inclusive=False)


def rising_hba1c(picture: GlycaemicPicture) -> CriterionOutcome:
    """A rise of 6 mmol/mol or more from the most recent HbA1c 6 to 12 months before the latest."""
    code = "rising-hba1c"
    latest = picture.latest_hba1c
    if latest is None:
        return _outcome(code, "insufficient-data", _no_hba1c(picture))
    earliest, latest_base = (
        months_before(latest.day, RISE_WITHIN_MONTHS),
        months_before(latest.day, RISE_AFTER_MONTHS),
    )
    bases = [day for day in picture.hba1c if earliest <= day.day <= latest_base]
    if not bases:
        return _outcome(
            code,
            "insufficient-data",
            f"{_hba1c(latest)}; no HbA1c 6 to 12 months before it ({earliest} to {latest_base})",
        )
    base = bases[-1]
    if latest.comparator or base.comparator:
        return _outcome(code, "insufficient-data", f"{_hba1c(latest)}; censored results cannot give a rise")
    rise = int(latest.value - base.value)
    change = f"risen by {rise}" if rise > 0 else ("unchanged" if rise == 0 else f"fallen by {-rise}")
    return _outcome(
        code,
        "met" if rise >= RISE else "not-met",
        f"{_hba1c(latest)}, {change} mmol/mol from {base.shown} on {base.day}",
    )


def hba1c_in_diabetes_range_without_diabetes_coded(facts: DiabetesFacts) -> bool:
    """Case-finding: the latest HbA1c in 12 months is 48 or more and no diabetes is on the register.

    A pure predicate over the same facts the criteria read; it says nothing about completeness (the
    ``undiagnosed-diabetes-range`` criterion does), so case-finding lists a candidate for a person to check.
    """
    picture = glycaemic_picture(facts)
    latest = picture.latest_hba1c
    return latest is not None and latest.at_least(DIABETES_RANGE) is True and not picture.diabetes


def _register(picture: GlycaemicPicture) -> str | None:
    """Why a case-finding criterion does not apply: diabetes is coded. None when it is not."""
    if picture.diabetes:
        labels = "; ".join(c.text + (f" (onset {c.onset})" if c.onset else "") for c in picture.diabetes)
        return f"diabetes coded: {labels}"
    return None


def _glucose_results(picture: GlycaemicPicture) -> list[tuple[str, DayResult]]:
    found = [("HbA1c", picture.latest_hba1c), ("fasting glucose", picture.latest_fasting_glucose)]
    return [(name, result) for name, result in found if result is not None]


def undiagnosed_diabetes_range(picture: GlycaemicPicture) -> CriterionOutcome:
    """HbA1c 48 or more, or fasting glucose 7.0 or more, in 12 months with no diabetes coded (WHO 2011)."""
    code = "undiagnosed-diabetes-range"
    coded = _register(picture)
    if coded is not None:
        return _outcome(code, "not-met", coded)
    results = _glucose_results(picture)
    if not results:
        return _outcome(code, "insufficient-data", f"no HbA1c or fasting glucose {picture.window}")
    limits = {"HbA1c": DIABETES_RANGE, "fasting glucose": FASTING_DIABETES_RANGE}
    verdicts = {name: result.at_least(limits[name]) for name, result in results}
    shown = "; ".join(f"latest {name} {result.shown} on {result.day}" for name, result in results)
    if any(verdicts.values()):
        repeat = "a diagnosis needs a second test unless there are symptoms"
        if not picture.record_complete:
            return _outcome(code, "insufficient-data", f"{shown} in the diabetes range, but {INCOMPLETE}")
        return _outcome(code, "met", f"{shown}: in the diabetes range with no diabetes coded; {repeat}")
    if None in verdicts.values():
        return _outcome(code, "insufficient-data", f"{shown}: a censored result leaves the range open")
    return _outcome(code, "not-met", f"{shown}: below the diabetes range")


def ndh_range(picture: GlycaemicPicture) -> CriterionOutcome:
    """HbA1c 42-47 or fasting glucose 5.5-6.9 in 12 months with no diabetes coded (NICE PH38; NCL NDPP)."""
    code = "ndh-range"
    coded = _register(picture)
    if coded is not None:
        return _outcome(code, "not-met", coded)
    results = _glucose_results(picture)
    if not results:
        return _outcome(code, "insufficient-data", f"no HbA1c or fasting glucose {picture.window}")
    ranges = {"HbA1c": (NDH_LOW, NDH_HIGH), "fasting glucose": (FASTING_NDH_LOW, FASTING_NDH_HIGH)}
    shown = "; ".join(f"latest {name} {result.shown} on {result.day}" for name, result in results)
    if any(r.comparator for _, r in results):
        return _outcome(code, "insufficient-data", f"{shown}: a censored result leaves the range open")
    inside = [name for name, r in results if ranges[name][0] <= r.value <= ranges[name][1]]
    if inside:
        return _outcome(code, "met", f"{shown}: {' and '.join(inside)} in the NDH range")
    return _outcome(code, "not-met", f"{shown}: outside the NDH range (HbA1c 42-47, fasting glucose 5.5-6.9)")


def hypo_risk_on_su_or_insulin_with_low_hba1c(picture: GlycaemicPicture) -> CriterionOutcome:
    """HbA1c below 48 on a drug causing hypoglycaemia: consider relaxing treatment (NG28 1.5.9-1.5.10)."""
    code = "hypo-risk-on-su-or-insulin-with-low-hba1c"
    drugs = picture.hypoglycaemia_drugs
    if not drugs:
        if picture.record_complete:
            return _outcome(code, "not-met", "no sulfonylurea, meglitinide or insulin active")
        return _outcome(code, "insufficient-data", f"no sulfonylurea or insulin found, but {INCOMPLETE}")
    latest = picture.latest_hba1c
    if latest is None:
        return _outcome(code, "insufficient-data", f"on {_drugs(drugs)}; {_no_hba1c(picture)}")
    below = latest.at_least(LOW_ON_HYPOGLYCAEMIA_DRUG)
    verdict = None if below is None else not below
    side = {True: "below 48", False: "not below 48", None: "possibly below 48"}[verdict]
    return _outcome(code, _decided(verdict), f"{_hba1c(latest)} is {side} on {_drugs(drugs)}")


def diabetes_criteria(
    facts: DiabetesFacts, picture: GlycaemicPicture | None = None
) -> list[CriterionOutcome]:
    """Every diabetes criterion, in docs/clinical/diabetes.md's order; ``picture`` when the caller has it."""
    picture = picture or glycaemic_picture(facts)
    return [
        hba1c_above_individual_target(picture),
        hba1c_58_or_more_intensify(picture),
        hba1c_over_75(picture),
        hba1c_over_90(picture),
        rising_hba1c(picture),
        undiagnosed_diabetes_range(picture),
        ndh_range(picture),
        hypo_risk_on_su_or_insulin_with_low_hba1c(picture),
    ]
