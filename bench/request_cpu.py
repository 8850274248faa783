"""The service's CPU per request for the cached worklist, the cached summary and ``/healthz``, in-process.

Run: ``python -m bench.request_cpu``; add ``--profile`` for a cProfile of 1,000 ``/healthz`` and 200 cached
summaries, by the time spent in each function, and the CPU each middleware adds to ``/healthz``. The mock GP
serves the demo practice from a process of its own, so its work is not counted. The service runs here,
through its ASGI app, on a fresh PostgreSQL database (dropped afterwards), its record cache on: a consultant
puts 30 patients on a clinic and reads everything once to warm up. Each figure is the least of ten blocks
(10 worklists of 30, 30 summaries or 300 ``/healthz``) of this process's CPU, which is what a busy machine
disturbs least. Access checks and audit run on every read.
"""

from __future__ import annotations

import asyncio
import cProfile
import pstats
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.middleware.asyncexitstack import AsyncExitStackMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from adapters.demo import write_demo_practice
from app.auth.dev_keys import mint_dev_token
from app.main import create_app
from app.migrations.runner import migrate_to_head
from bench._postgres import fresh_database
from bench.load import CONSULTANT, PATIENTS, SPECIALTY, _mock_gp
from bench.summary_cpu import _settings

BLOCKS = 10
PROFILED_HEALTH_CHECKS = 1000
PROFILED_SUMMARIES = 200

Read = Callable[[], Awaitable[None]]


async def _clinic(client: httpx.AsyncClient) -> str:
    consultant = {"sub": CONSULTANT["sub"], "name": CONSULTANT["name"]}
    body = {"specialty": SPECIALTY, "date": date.today().isoformat(), "consultant": consultant}
    clinic_id: str = (await client.post("/v1/clinics", json=body)).raise_for_status().json()["id"]
    for nhs_number in PATIENTS:
        entry = {"nhs_number": nhs_number, "reason": "eGFR falling on the monthly search"}
        (await client.post(f"/v1/clinics/{clinic_id}/entries", json=entry)).raise_for_status()
    return clinic_id


def _reads(client: httpx.AsyncClient, clinic_id: str) -> dict[str, tuple[int, Read]]:
    async def worklists() -> None:
        for _ in range(10):
            (await client.get(f"/v1/clinics/{clinic_id}/worklist")).raise_for_status()

    async def summaries() -> None:
        for nhs_number in PATIENTS:
            (await client.get(f"/v1/patients/{nhs_number}/summaries/{SPECIALTY}")).raise_for_status()

    async def health_checks() -> None:
        for _ in range(300):
            (await client.get("/healthz")).raise_for_status()

    return {
        "worklist of 30, cached": (10, worklists),
        "summary, record cached": (len(PATIENTS), summaries),
        "/healthz": (300, health_checks),
    }


async def _least_cpu(read: Read) -> float:
    blocks = []
    for _ in range(BLOCKS):
        started = time.process_time()
        await read()
        blocks.append(time.process_time() - started)
    return min(blocks)


async def _profile(client: httpx.AsyncClient) -> None:
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(PROFILED_HEALTH_CHECKS):
        (await client.get("/healthz")).raise_for_status()
    for index in range(PROFILED_SUMMARIES):
        nhs_number = PATIENTS[index % len(PATIENTS)]
        (await client.get(f"/v1/patients/{nhs_number}/summaries/{SPECIALTY}")).raise_for_status()
    profile.disable()
    stats = pstats.Stats(profile)
    stats.sort_stats("tottime").print_stats(40)


def _stacks(app: FastAPI) -> list[tuple[str, ASGIApp]]:
    """The app's router, then wrapped in each of its middlewares in turn, innermost first, as the app is."""

    def given_app(inner: ASGIApp) -> ASGIApp:
        async def call(scope: Scope, receive: Receive, send: Send) -> None:
            scope["app"] = app
            await inner(scope, receive, send)

        return call

    inner: ASGIApp = ExceptionMiddleware(
        AsyncExitStackMiddleware(app.router), handlers=app.exception_handlers
    )
    stacks = [("router", given_app(inner))]
    for cls, args, kwargs in reversed(app.user_middleware):
        inner = cls(inner, *args, **kwargs)
        stacks.append((cls.__name__, given_app(inner)))
    return [*stacks, ("the whole app", app)]


async def _middleware_costs(app: FastAPI) -> None:
    """/healthz through the router alone, then through one more middleware at a time: what each costs."""
    print("CPU per /healthz with the middlewares up to each, innermost first (each one's cost is the step)")
    earlier: float | None = None
    for name, stack in _stacks(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=stack), base_url="http://b") as client:

            async def health_checks(client: httpx.AsyncClient = client) -> None:
                for _ in range(300):
                    (await client.get("/healthz")).raise_for_status()

            await health_checks()
            cpu = await _least_cpu(health_checks) / 300 * 1e6
        step = "" if earlier is None else f"{cpu - earlier:>+8.1f}"
        print(f"{name:<36}{cpu:>8.1f} µs{step}")
        earlier = cpu


async def _measure(root: Path, database_url: str, gp_url: str, *, profile: bool) -> None:
    settings = _settings(root, database_url, gp_url, record_ttl=3600.0)
    await asyncio.to_thread(migrate_to_head, settings)
    headers = {"Authorization": f"Bearer {mint_dev_token(settings, CONSULTANT)}"}
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as client:
            reads = _reads(client, await _clinic(client))
            for _, read in reads.values():
                await read()
            if profile:
                await _profile(client)
                await _middleware_costs(app)
                return
            print(f"CPU per request, the least of {BLOCKS} blocks")
            for name, (requests, read) in reads.items():
                print(f"{name:<26}{await _least_cpu(read) / requests * 1000:>8.2f} ms")


def main() -> None:
    profile = "--profile" in sys.argv[1:]
    with tempfile.TemporaryDirectory() as temporary, fresh_database("request_cpu") as database_url:
        root = Path(temporary)
        write_demo_practice(root / "records", date.today())
        with _mock_gp(root / "records") as gp_url:
            asyncio.run(_measure(root, database_url, gp_url, profile=profile))


if __name__ == "__main__":
    main()
