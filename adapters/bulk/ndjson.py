"""NDJSON read as it arrives, a chunk at a time, never the file whole.

The splitter hands on, for each chunk downloaded, the lines that chunk completes, and keeps only the bytes of
the line still being read: memory is bounded by the longest line (``max_line_bytes``) and one chunk, whatever
the file's size.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable
from typing import Any

import orjson

from schemas.bulk import BulkFileUnreadable, BulkLine, BulkLines

MAX_LINE_BYTES = 16 * 1024 * 1024


async def ndjson_batches(
    chunks: AsyncIterable[bytes],
    *,
    source: str,
    file_url: str,
    resource_type: str = "",
    max_line_bytes: int = MAX_LINE_BYTES,
) -> AsyncGenerator[BulkLines, None]:
    """For each chunk, the non-blank lines it completes, unparsed, as lines of ``resource_type`` (the file's
    type in the manifest) numbered as in the file (blank lines counted); a chunk that completes none yields
    nothing. A last line with no newline after it, which may have been cut off, comes alone, not ``ended``."""
    pieces: list[bytes] = []  # the line being read, when it spans chunks
    held = 0
    number = 0
    async for chunk in chunks:
        if b"\n" in chunk:
            lines = (b"".join(pieces) + chunk if pieces else chunk).split(b"\n")
            last = lines.pop()
            pieces, held = ([last], len(last)) if last else ([], 0)
            batch = [
                BulkLine(resource_type, line, file_url, at)
                for at, line in enumerate(lines, number + 1)
                if line.strip()
            ]
            number += len(lines)
            if batch:
                yield batch
        else:
            pieces.append(chunk)
            held += len(chunk)
        if held > max_line_bytes:
            detail = f"{shown_url(file_url)} line {number + 1} is longer than {max_line_bytes} bytes"
            raise BulkFileUnreadable(source, detail)
    pending = b"".join(pieces)
    if pending.strip():
        yield [BulkLine(resource_type, pending, file_url, number + 1, ended=False)]


def parsed_line(line: BulkLine, source: str) -> dict[str, Any]:
    """The line parsed as a FHIR resource; a line that is not one fails naming its file and line.

    A last line without its newline is accepted when it parses whole (the spec does not require the final
    newline); when it does not, the file was cut off in transfer and the error says so.
    """
    try:
        resource = orjson.loads(line.line)
    except orjson.JSONDecodeError:
        why = "is not JSON" if line.ended else "was cut off (the file ends mid-resource)"
        raise BulkFileUnreadable(source, f"{shown_url(line.file_url)} line {line.number} {why}") from None
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        detail = f"{shown_url(line.file_url)} line {line.number} is not a FHIR resource"
        raise BulkFileUnreadable(source, detail)
    return resource


async def ndjson_resources(
    chunks: AsyncIterable[bytes], *, source: str, file_url: str
) -> AsyncGenerator[dict[str, Any], None]:
    """Each line parsed as a FHIR resource; a line that is not one fails naming the file and the line.

    A last line without its newline is accepted when it parses whole (the spec does not require the final
    newline); when it does not, the file was cut off in transfer and the error says so.
    """
    async for batch in ndjson_batches(chunks, source=source, file_url=file_url):
        for line in batch:
            yield parsed_line(line, source)


def shown_url(url: str) -> str:
    """A URL as errors and logs name it: without its query, which may carry a signature or a token."""
    return url.split("?", 1)[0]
