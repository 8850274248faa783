"""NDJSON is read a line at a time as it arrives, and a file cut short fails naming the file and the line."""

from __future__ import annotations

import tracemalloc
from collections.abc import AsyncIterator, Iterable

import orjson
import pytest

from adapters.bulk import ndjson_batches, ndjson_resources
from schemas.bulk import BulkFileUnreadable

URL = "http://gp.example/bulk/files/job/Observation.ndjson"


async def chunked(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def read(chunks: AsyncIterator[bytes]) -> list[dict[str, object]]:
    return [r async for r in ndjson_resources(chunks, source="practice A12345", file_url=URL)]


def ndjson(resources: Iterable[dict[str, object]]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in resources)


OBSERVATIONS = [
    {"resourceType": "Observation", "id": f"obs-{i}", "valueQuantity": {"value": i}} for i in range(50)
]


@pytest.mark.parametrize("size", [1, 7, 64, 10_000])
async def test_lines_split_across_chunks_read_whole_whatever_the_chunk_size(size: int) -> None:
    assert await read(chunked(ndjson(OBSERVATIONS), size)) == OBSERVATIONS


async def test_blank_lines_and_crlf_endings_are_read_as_the_spec_allows() -> None:
    data = b"\r\n" + orjson.dumps(OBSERVATIONS[0]) + b"\r\n\n" + orjson.dumps(OBSERVATIONS[1]) + b"\r\n"

    assert await read(chunked(data, 5)) == OBSERVATIONS[:2]


async def test_a_last_line_without_its_newline_is_kept_when_it_is_whole() -> None:
    data = ndjson(OBSERVATIONS[:2]) + orjson.dumps(OBSERVATIONS[2])

    assert await read(chunked(data, 16)) == OBSERVATIONS[:3]


async def test_a_truncated_last_line_names_the_file_and_the_line() -> None:
    last = orjson.dumps(OBSERVATIONS[2])
    data = ndjson(OBSERVATIONS[:2]) + last[: len(last) // 2]

    with pytest.raises(BulkFileUnreadable) as caught:
        await read(chunked(data, 16))

    assert caught.value.detail == f"{URL} line 3 was cut off (the file ends mid-resource)"


async def test_a_line_that_is_not_json_names_the_file_and_the_line() -> None:
    data = ndjson(OBSERVATIONS[:1]) + b"{not json\n" + ndjson(OBSERVATIONS[1:2])

    with pytest.raises(BulkFileUnreadable, match=r"Observation\.ndjson line 2 is not JSON"):
        await read(chunked(data, 16))


async def test_a_line_that_is_not_a_resource_is_refused() -> None:
    with pytest.raises(BulkFileUnreadable, match="line 1 is not a FHIR resource"):
        await read(chunked(b"[1, 2]\n", 16))


async def test_a_line_longer_than_the_limit_fails_before_it_is_held() -> None:
    batches = ndjson_batches(chunked(b"x" * 100, 10), source="p", file_url=URL, max_line_bytes=32)

    with pytest.raises(BulkFileUnreadable, match="line 1 is longer than 32 bytes"):
        [batch async for batch in batches]


async def test_the_splitter_never_reads_more_than_one_chunk_ahead_of_the_resource_it_yields() -> None:
    size = 256
    lines = [orjson.dumps(r) + b"\n" for r in OBSERVATIONS * 20]
    data = b"".join(lines)
    produced = 0

    async def counted() -> AsyncIterator[bytes]:
        nonlocal produced
        for start in range(0, len(data), size):
            produced += 1
            yield data[start : start + size]

    through = 0
    async for batch in ndjson_batches(counted(), source="p", file_url=URL):
        for line in batch:
            through += len(lines[line.number - 1])
            assert (produced - 1) * size < through + size


async def test_a_large_export_is_read_in_memory_bounded_by_a_chunk_not_the_file() -> None:
    line = orjson.dumps({"resourceType": "Observation", "id": "x" * 60, "status": "final"}) + b"\n"
    count = 40_000

    async def generated() -> AsyncIterator[bytes]:
        for _ in range(count // 100):
            yield line * 100

    tracemalloc.start()
    try:
        seen = 0
        async for _ in ndjson_resources(generated(), source="p", file_url=URL):
            seen += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert seen == count
    assert peak < len(line) * count / 10


async def test_each_chunk_hands_on_together_the_lines_it_completes_numbered_as_in_the_file() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"a": 1}\n{"b"'
        yield b": 2}\r\n\n"
        yield b'{"c"'  # completes no line: nothing is handed on for it
        yield b': 3}\n{"d": 4}\n{"e": 5}'

    batches = ndjson_batches(chunks(), source="p", file_url=URL, resource_type="Observation")
    got = [[(line.number, line.line, line.ended) for line in batch] async for batch in batches]

    assert got == [
        [(1, b'{"a": 1}', True)],
        [(2, b'{"b": 2}\r', True)],  # line 3 is blank
        [(4, b'{"c": 3}', True), (5, b'{"d": 4}', True)],
        [(6, b'{"e": 5}', False)],
    ]
