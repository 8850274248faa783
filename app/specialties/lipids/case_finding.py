"""NICE CG71 1.1.2 record search for familial hypercholesterolaemia, as a predicate over one record.

"Systematically search primary care records for people younger than 30 years, with a total cholesterol
concentration greater than 7.5 mmol/l and 30 years or older, with a total cholesterol concentration greater
than 9.0 mmol/l" (read at nice.org.uk/guidance/cg71, [2017]). The age is the age at the sample: the
thresholds are about the cholesterol a person had at that age. Any result on record counts, not only the
latest, since treatment lowers the later ones. It is the same rule as the two CG71 criteria, so a search
and a summary never disagree.
"""

from __future__ import annotations

from app.specialties.lipids.bounds import above
from app.specialties.lipids.criteria import FH_SEARCH_AGE, TC_FROM_30, TC_UNDER_30
from app.specialties.lipids.facts import LipidFacts


def cg71_search_matches(facts: LipidFacts) -> bool:
    """True when a total cholesterol on record is above 7.5 before age 30 or above 9.0 from 30."""
    for result in facts.lipids.total_cholesterol:
        age = facts.age_on(result.day)
        if age is not None and above(result, TC_UNDER_30 if age < FH_SEARCH_AGE else TC_FROM_30):
            return True
    return False
