"""The application factory and its lifespan: every long-lived resource is made and closed here."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI

from app.advice.router import router as advice_router
from app.attachments.router import router as attachments_router
from app.attachments.router import upload_body_bounds
from app.attachments.scanning import scanner_from
from app.audit.middleware import AuditMiddleware
from app.audit.router import router as audit_router
from app.audit.sealer import AuditSealer
from app.audit.service import AuditLog
from app.auth.dev_keys import dev_jwks_path, ensure_dev_key
from app.auth.keys import KeySet
from app.auth.middleware import AuthenticateFirstMiddleware
from app.case_finding.router import practice_router as case_finding_practice_router
from app.case_finding.router import router as case_finding_router
from app.case_finding.wiring import case_finding_in_process
from app.cds_hooks.cors import CdsCorsMiddleware, cors_policy
from app.cds_hooks.middleware import CdsHooksAuthenticationMiddleware
from app.cds_hooks.router import router as cds_hooks_router
from app.cds_hooks.router import service_call_body_bounds
from app.cds_hooks.wiring import build_cds_hooks
from app.clinics.router import router as clinics_router
from app.core.address import AddressTextMiddleware
from app.core.cache_control import NoStoreMiddleware
from app.core.collector import CollectorPolicy, tuned_collector
from app.core.config import Settings, get_settings
from app.core.db import create_engine, session_factory
from app.core.errors import install_error_handlers
from app.core.health import router as health_router
from app.core.limits import RequestLimitsMiddleware
from app.core.logging import configure_logging
from app.core.metrics import worker_stopped
from app.core.request_context import RequestContextMiddleware
from app.follow_up.router import router as follow_up_router
from app.follow_up.wiring import follow_up_in_process
from app.outbox.router import admin_router as outbox_admin_router
from app.outbox.router import router as outbox_router
from app.outbox.wiring import build_outbox_worker
from app.records.router import router as registrations_router
from app.records.wiring import build_practice_network, check_practices_file
from app.specialties.registry import SPECIALTIES, analyte_catalogue
from app.specialties.router import specialties_router
from app.specialties.settings import load_specialty_settings
from app.web.demo_seed import seed_demo_clinics
from app.web.new_advice_request import form_body_bounds
from app.web.setup import install_web


def utc_now() -> datetime:
    return datetime.now(UTC)


def _key_sources(settings: Settings) -> list[str]:
    sources = [settings.jwks] if settings.jwks else []
    if settings.dev_mode:
        ensure_dev_key(settings)
        sources.append(str(dev_jwks_path(settings)))
    return sources


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = create_engine(settings)
    factory = session_factory(engine)
    jwks_client = httpx.AsyncClient(timeout=httpx.Timeout(5.0))
    app.state.specialty_settings = load_specialty_settings(
        SPECIALTIES, environ=os.environ, sections=check_practices_file(settings).specialties
    )
    network = build_practice_network(settings, factory, catalogue=analyte_catalogue())
    app.state.engine = engine
    app.state.session_factory = factory
    app.state.audit_log = AuditLog.from_settings(settings, factory)
    app.state.audit_sealer = AuditSealer.from_settings(settings, app.state.audit_log)
    app.state.key_set = KeySet(
        _key_sources(settings),
        client=jwks_client,
        max_age_seconds=settings.jwks_refresh_seconds,
        min_refresh_seconds=settings.jwks_min_refresh_seconds,
    )
    app.state.practices = network
    app.state.cds_hooks = build_cds_hooks(
        settings, check_practices_file(settings), network, list(SPECIALTIES.values())
    )
    app.state.directory = network.directory
    outbox_worker, deliveries = build_outbox_worker(
        settings,
        factory,
        network.practices,
        network.mesh,
        sealer=app.state.audit_sealer if settings.audit_sealer_enabled else None,
        referrals=network.referrals,
    )
    app.state.outbox_worker = outbox_worker
    if settings.dev_mode and settings.practices_file is None:
        await seed_demo_clinics(app.state.audit_log, network, now=app.state.clock())
    outbox_worker.start(deliver=settings.outbox_dispatcher_enabled)
    collector = CollectorPolicy(settings.gc_freeze_after_startup, settings.gc_young_threshold)
    # `make run` (dev mode, the demo practice): case-finding runs started from the page, follow-up checks and
    # overdue notices run here, with no worker process.
    demo = settings.dev_mode and settings.practices_file is None
    case_finding: AbstractAsyncContextManager[None] = (
        case_finding_in_process(
            settings, app.state.audit_log, network.practices, specialty_settings=app.state.specialty_settings
        )
        if demo
        else nullcontext()
    )
    follow_up = follow_up_in_process(settings, app.state.audit_log, network) if demo else nullcontext()
    try:
        async with case_finding, follow_up:
            with tuned_collector(collector):
                yield
    finally:
        await outbox_worker.stop()
        await deliveries.aclose()
        await network.aclose()
        await app.state.cds_hooks.aclose()
        await jwks_client.aclose()
        await engine.dispose()
        worker_stopped()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    app = FastAPI(
        title="Virtual Clinic",
        version="0.1.0",
        summary="GP record summaries for virtual clinics, and the advice that flows back to the practice.",
        lifespan=lifespan,
        # The pages serve their own docs, from local files (see app/web/api_docs.py).
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.settings = settings
    app.state.clock = utc_now
    app.state.virus_scanner = scanner_from(settings)
    install_error_handlers(app)
    app.add_middleware(AddressTextMiddleware)
    app.add_middleware(AuditMiddleware)
    app.add_middleware(AuthenticateFirstMiddleware)
    app.add_middleware(CdsHooksAuthenticationMiddleware)
    app.add_middleware(
        RequestLimitsMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_header_bytes=settings.max_header_bytes,
        larger_bodies=[
            *upload_body_bounds(settings.attachment_max_bytes),
            *form_body_bounds(settings.attachment_max_bytes),
            *service_call_body_bounds(settings.cds_max_body_bytes),
        ],
    )
    # Outside the limits and the EHR's JWT check: a preflight needs no token, and a browser-based EHR can
    # read the 401 or 413 that refuses its call.
    app.add_middleware(CdsCorsMiddleware, policy=cors_policy(settings))
    app.add_middleware(RequestContextMiddleware)
    app.include_router(health_router)
    app.include_router(audit_router)
    app.include_router(specialties_router())
    app.include_router(registrations_router)
    app.include_router(advice_router)
    app.include_router(attachments_router)
    app.include_router(clinics_router)
    app.include_router(outbox_router)
    app.include_router(outbox_admin_router)
    app.include_router(case_finding_router)
    app.include_router(case_finding_practice_router)
    app.include_router(cds_hooks_router)
    app.include_router(follow_up_router)
    install_web(app)
    app.add_middleware(NoStoreMiddleware)
    return app
