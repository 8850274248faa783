"""Which exported lines a specialty's case-finding can use, decided from the line's bytes before it is stored.

An Observation is read into a record only when one of its codings names an analyte the catalogue holds, and
a specialty's summary reads only the analytes its ``RecordNeeds`` lists: the consultant's own summary asks
the practice for those codes alone. So an Observation line carrying none of those codes anywhere cannot
change the summary or its rules, and is dropped unparsed; the test is a superset (any ``"code"`` string in
the line, any system), so a line it keeps may still be left out by normalisation, never the other way round.
Other resource types are kept whole.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from app.records.analytes import AnalyteCatalogue
from app.records.needs import RecordNeeds
from schemas.bulk import BulkLine


def observation_codes(needs: RecordNeeds, catalogue: AnalyteCatalogue) -> frozenset[bytes]:
    """Every code (of any system) that names an analyte the specialty reads."""
    return frozenset(
        coding.code.strip().encode() for need in needs.results for coding in catalogue.codes_for(need.analyte)
    )


def needs_fingerprint(
    needs: RecordNeeds, catalogue: AnalyteCatalogue, resource_types: tuple[str, ...]
) -> str:
    """What a kept population holds, as a short digest: the types exported and the Observation codes kept."""
    held = b"\n".join(
        [*sorted(t.encode() for t in resource_types), *sorted(observation_codes(needs, catalogue))]
    )
    return hashlib.sha256(held).hexdigest()[:32]


def relevant_lines(needs: RecordNeeds, catalogue: AnalyteCatalogue) -> Callable[[BulkLine], bool]:
    """Whether a line can matter to a specialty with these needs (see the module's note)."""
    codes = sorted(observation_codes(needs, catalogue), key=len, reverse=True)
    if not codes:
        return lambda line: line.resource_type != "Observation"
    # One search for any of the codes as a ``"code"`` value, spacing tolerated as normalisation tolerates it.
    carried = re.compile(rb'"code"\s*:\s*"\s*(?:' + b"|".join(map(re.escape, codes)) + rb')\s*"').search

    def relevant(line: BulkLine) -> bool:
        return line.resource_type != "Observation" or carried(line.line) is not None

    return relevant
