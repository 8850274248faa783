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
from schemas.bulk import BulkExportProgress, BulkLine, BulkLines


async def demo_export_batches(
    resource_types: tuple[str, ...], progress: BulkExportProgress, today: date | None = None
) -> AsyncIterator[BulkLines]:
    """Each resource of these types as an NDJSON line, one batch for each type as a manifest has a file for
    each (the demo's population is small enough to hand over a file at once)."""
    progress.transaction_time = datetime.now(UTC)
    resources = demo_practice_resources(today or date.today())
    for resource_type in resource_types:
        of_type = (resource for resource in resources if resource.get("resourceType") == resource_type)
        file_url = f"demo/{resource_type}.ndjson"
        batch = [
            BulkLine(resource_type, orjson.dumps(resource), file_url, number)
            for number, resource in enumerate(of_type, 1)
        ]
        progress.resources_read += len(batch)
        if batch:
            yield batch
        progress.files_read += 1
    progress.status = "done"
