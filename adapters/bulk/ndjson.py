"""NDJSON read as it arrives: one resource at a time, never the file whole.

The splitter keeps only the bytes of the line being read, so memory is bounded by the longest line
(``max_line_bytes``) and one chunk, whatever the file's size.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable
from typing import Any

import orjson

from schemas.bulk import BulkFileUnreadable

MAX_LINE_BYTES = 16 * 1024 * 1024


async def ndjson_lines(
    chunks: AsyncIterable[bytes], *, source: str, file_url: str, max_line_bytes: int = MAX_LINE_BYTES
) -> AsyncGenerator[tuple[int, bytes, bool], None]:
    """Each non-blank line as ``(line number, bytes, ended)``; ``ended`` is False only for a last line with no
    newline after it, which may have been cut off."""
    pending = bytearray()
    number = 0
    async for chunk in chunks:
        start = 0
        while (end := chunk.find(b"\n", start)) != -1:
            pending += chunk[start:end]
            number += 1
            if pending.strip():
                yield number, bytes(pending), True
            pending.clear()
            start = end + 1
        pending += chunk[start:]
        if len(pending) > max_line_bytes:
            detail = f"{shown_url(file_url)} line {number + 1} is longer than {max_line_bytes} bytes"
            raise BulkFileUnreadable(source, detail)
    if pending.strip():
        yield number + 1, bytes(pending), False


async def ndjson_resources(
    chunks: AsyncIterable[bytes], *, source: str, file_url: str
) -> AsyncGenerator[dict[str, Any], None]:
    """Each line parsed as a FHIR resource; a line that is not one fails naming the file and the line.

    A last line without its newline is accepted when it parses whole (the spec does not require the final
    newline); when it does not, the file was cut off in transfer and the error says so.
    """
    async for number, line, ended in ndjson_lines(chunks, source=source, file_url=file_url):
        try:
            resource = orjson.loads(line)
        except orjson.JSONDecodeError:
            why = "is not JSON" if ended else "was cut off (the file ends mid-resource)"
            raise BulkFileUnreadable(source, f"{shown_url(file_url)} line {number} {why}") from None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise BulkFileUnreadable(source, f"{shown_url(file_url)} line {number} is not a FHIR resource")
        yield resource


def shown_url(url: str) -> str:
    """A URL as errors and logs name it: without its query, which may carry a signature or a token."""
    return url.split("?", 1)[0]
