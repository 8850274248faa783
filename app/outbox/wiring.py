"""Builds the delivery adapters from the practices file, and the worker that runs the dispatcher."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Mapping
from functools import partial

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.fhir_push import FhirPushDelivery
from adapters.http import CircuitBreaker, CircuitOpen, UpstreamClient
from adapters.mesh.delivery import MeshLetterDelivery
from adapters.mesh.itk import SenderOrganisation
from adapters.mesh.mailbox import MeshMailbox, MeshMailboxSettings
from adapters.referrals import BarsReferralDelivery, ReferralReceiver
from app.advice.service import record_acknowledgement
from app.audit.sealer import AuditSealer
from app.audit.service import AuditLog
from app.core.config import Settings
from app.core.db import create_engine, session_factory
from app.outbox.dispatcher import Dispatcher, DispatchPolicy
from app.outbox.inbox import poll_mesh_inbox
from app.outbox.models import Channel
from app.outbox.ports import DeliveryNotConfigured, PracticeDelivery, ReceiverNotTried
from app.outbox.worker import OutboxWorker
from app.records.practices import MeshConfig, PracticeConfig, ReferralsConfig
from app.records.wiring import check_practices_file
from schemas.advice import AdviceMessage


class _NotTriedWhenOpen:
    """A delivery whose circuit breaker's refusals reach the dispatcher as the outbox's own "not tried"."""

    def __init__(self, delivery: PracticeDelivery) -> None:
        self._delivery = delivery

    async def deliver(self, message: AdviceMessage) -> str | None:
        try:
            return await self._delivery.deliver(message)
        except CircuitOpen as exc:
            raise ReceiverNotTried(str(exc), retry_in=exc.retry_in) from exc


class PracticeDeliveries:
    """The delivery for each practice and channel, made on first use and closed with the worker."""

    def __init__(
        self,
        practices: Mapping[str, PracticeConfig],
        mesh: MeshConfig | None,
        *,
        timeout_seconds: float,
        breaker: Callable[[], CircuitBreaker] = CircuitBreaker,
        referrals: ReferralsConfig | None = None,
    ) -> None:
        self._practices = practices
        self._referrals = referrals or ReferralsConfig()
        self._mesh_config = mesh
        self._timeout = timeout_seconds
        self._breaker = breaker
        self._made: dict[tuple[str, str], PracticeDelivery] = {}
        self._clients: list[httpx.AsyncClient] = []
        self.mesh: MeshMailbox | None = _mailbox(mesh) if mesh is not None else None

    @property
    def has_referral_endpoint(self) -> bool:
        return self._referrals.endpoint is not None

    def resolve(self, practice_ods: str, channel: str) -> PracticeDelivery:
        # Every practice's referrals go to the one referral receiver, through one client and breaker.
        key = ("", channel) if channel == Channel.BARS_REFERRAL else (practice_ods, channel)
        if key not in self._made:
            self._made[key] = _NotTriedWhenOpen(self._make(practice_ods, Channel(channel)))
        return self._made[key]

    def _make(self, practice_ods: str, channel: Channel) -> PracticeDelivery:
        if channel is Channel.BARS_REFERRAL:
            return self._referral_receiver()
        practice = self._practices.get(practice_ods)
        if practice is None:
            raise DeliveryNotConfigured(f"practice {practice_ods} is not in the practices file")
        if channel is Channel.FHIR_R4:
            return self._fhir_push(practice_ods, practice)
        if channel is Channel.MESH:
            return self._mesh_letters(practice_ods, practice)
        raise DeliveryNotConfigured(f"{channel.value} messages are not pushed")

    def _fhir_push(self, practice_ods: str, practice: PracticeConfig) -> PracticeDelivery:
        base_url = practice.delivery_url or practice.base_url
        if not base_url:
            raise DeliveryNotConfigured(f"practice {practice_ods} has no FHIR endpoint for advice")
        timeout = min(practice.timeout_seconds, self._timeout)
        client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            limits=httpx.Limits(max_connections=practice.max_concurrent_requests),
        )
        self._clients.append(client)
        upstream = UpstreamClient(f"practice {practice_ods} advice endpoint", client, breaker=self._breaker())
        return FhirPushDelivery(upstream, base_url=base_url, nhs_number_system=practice.nhs_number_system)

    def _referral_receiver(self) -> PracticeDelivery:
        config = self._referrals
        if config.endpoint is None:
            raise DeliveryNotConfigured("no [referrals] endpoint is configured")
        timeout = min(config.timeout_seconds, self._timeout)
        client = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)))
        self._clients.append(client)
        upstream = UpstreamClient("referral receiver", client, breaker=self._breaker())
        receiver = ReferralReceiver(
            endpoint=config.endpoint,
            target_identifier=config.target_identifier,
            target_identifier_system=config.target_identifier_system,
            source_endpoint=config.source_endpoint,
            destination_endpoint=config.destination_endpoint,
            bearer_token=config.bearer_token.get_secret_value() if config.bearer_token else None,
        )
        return BarsReferralDelivery(upstream, receiver)

    def _mesh_letters(self, practice_ods: str, practice: PracticeConfig) -> PracticeDelivery:
        if self.mesh is None or self._mesh_config is None or not practice.mesh_mailbox:
            raise DeliveryNotConfigured(f"practice {practice_ods} has no MESH mailbox, or we have none")
        config = self._mesh_config
        sender = SenderOrganisation(
            ods_code=config.sender_ods,
            name=config.sender_name,
            mailbox=config.mailbox,
            telephone=config.sender_telephone,
        )
        return MeshLetterDelivery(
            self.mesh, recipient=practice.mesh_mailbox, sender=sender, workflow_id=config.workflow_id
        )

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()
        if self.mesh is not None:
            await self.mesh.aclose()


def _mailbox(config: MeshConfig) -> MeshMailbox:
    cert = (
        (str(config.client_cert), str(config.client_key))
        if config.client_cert and config.client_key
        else None
    )
    return MeshMailbox(
        MeshMailboxSettings(
            url=config.base_url,
            mailbox=config.mailbox,
            password=config.password.get_secret_value(),
            shared_key=config.shared_key.get_secret_value(),
            verify=config.verify,
            cert=cert,
        )
    )


def build_outbox_worker(
    settings: Settings,
    factory: async_sessionmaker[AsyncSession],
    practices: Mapping[str, PracticeConfig],
    mesh: MeshConfig | None,
    *,
    sealer: AuditSealer | None = None,
    referrals: ReferralsConfig | None = None,
) -> tuple[OutboxWorker, PracticeDeliveries]:
    deliveries = PracticeDeliveries(
        practices, mesh, timeout_seconds=settings.upstream_timeout_seconds, referrals=referrals
    )
    dispatcher = Dispatcher(
        factory,
        deliveries.resolve,
        DispatchPolicy.from_settings(settings),
        release_held_referrals=deliveries.has_referral_endpoint,
    )
    mesh_poll = None
    if deliveries.mesh is not None:
        mesh_poll = partial(
            poll_mesh_inbox, factory, deliveries.mesh, record_acknowledgement=record_acknowledgement
        )
    worker = OutboxWorker(
        dispatcher,
        poll_seconds=settings.outbox_poll_seconds,
        mesh_poll=mesh_poll,
        mesh_poll_seconds=settings.outbox_mesh_poll_seconds,
        sealer=sealer,
    )
    return worker, deliveries


async def run_worker(settings: Settings, *, once: bool, stop: asyncio.Event | None = None) -> int:
    """``vclinic worker``: delivers and seals audit events until SIGTERM or SIGINT (or ``stop``, when the
    caller handles the signals); with ``once``, delivers what is due, reads the MESH inbox and seals once,
    and returns how many deliveries it attempted."""
    config = check_practices_file(settings)
    engine = create_engine(settings)
    factory = session_factory(engine)
    sealer = AuditSealer.from_settings(settings, AuditLog.from_settings(settings, factory))
    worker, deliveries = build_outbox_worker(
        settings, factory, config.practices, config.mesh, sealer=sealer, referrals=config.referrals
    )
    try:
        if once:
            return await worker.run_once()
        if stop is None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signal_number in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signal_number, stop.set)
        worker.start()
        await stop.wait()
        await worker.stop()
        return 0
    finally:
        await deliveries.aclose()
        await engine.dispose()
