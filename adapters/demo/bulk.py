"""The demo practice's population as a FHIR Bulk Data export would give it, from memory: what case-finding
reads in ``make run``.

The demo's records are generated from today, so the population is the same whatever ``_since`` asks (no
resource says when it last changed, and a server sends such a resource to every incremental export); the
export's ``transactionTime`` is now.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import orjson

from adapters.demo.practice import demo_practice_resources
from schemas.bulk import BulkExportProgress, BulkLine


async def demo_export_lines(
    resource_types: tuple[str, ...], progress: BulkExportProgress, today: date | None = None
) -> AsyncIterator[BulkLine]:
    """Each resource of these types, grouped by type as a manifest's files would be, as NDJSON lines."""
    progress.transaction_time = datetime.now(UTC)
    resources = demo_practice_resources(today or date.today())
    for resource_type in resource_types:
        number = 0
        for resource in resources:
            if resource.get("resourceType") == resource_type:
                number += 1
                progress.resources_read += 1
                yield BulkLine(resource_type, orjson.dumps(resource), f"demo/{resource_type}.ndjson", number)
        progress.files_read += 1
    progress.status = "done"
