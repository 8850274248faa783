"""FHIR Bulk Data Access 2.0 ``$export``, for reading a whole practice population."""

from adapters.bulk.client import AccessToken, BulkDataClient
from adapters.bulk.filters import ExportRound, plan_rounds
from adapters.bulk.ndjson import ndjson_batches, ndjson_resources, parsed_line
from adapters.bulk.timing import BulkTiming, retry_after_seconds

__all__ = [
    "AccessToken",
    "BulkDataClient",
    "BulkTiming",
    "ExportRound",
    "ndjson_batches",
    "ndjson_resources",
    "parsed_line",
    "plan_rounds",
    "retry_after_seconds",
]
