"""Our MESH mailbox, through NHS England's ``mesh-client``.

``mesh-client`` is synchronous (requests), so every call runs in a worker thread; one lock serialises them
because its session and its authentication nonce counter are not safe to share between threads. Its own
retries are kept for reads, and it never retries the POST that creates a message, so a send is made once.
Failures become ``adapters.errors`` with details that name the mailbox and the HTTP status, never a subject
line (which carries the NHS number).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from mesh_client import MeshClient, MeshError
from urllib3.exceptions import HTTPError as Urllib3Error

from adapters.errors import (
    UpstreamBadResponse,
    UpstreamError,
    UpstreamNotFound,
    UpstreamRefused,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from adapters.mesh.inbox import DeliveryReport, InboxItem, read_itk_response

log = logging.getLogger("vclinic.mesh")

ACK_WORKFLOWS = frozenset({"GPCONNECT_SEND_DOCUMENT_ACK", "GPFED_CONSULT_REPORT_ACK"})
# An ITK3 response is a few kilobytes; anything far larger in an acknowledgement workflow is not one.
MAX_RESPONSE_BYTES = 2 * 1024 * 1024

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class MeshMailboxSettings:
    url: str
    mailbox: str
    password: str
    shared_key: str
    verify: bool | str = True
    cert: tuple[str, str] | None = None
    timeout_seconds: float = 30.0


class MeshMailbox:
    def __init__(
        self,
        settings: MeshMailboxSettings,
        *,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.settings = settings
        self.source = f"MESH mailbox {settings.mailbox}"
        self._clock = clock
        self._lock = threading.Lock()
        self._client: MeshClient | None = None
        self._handshake_day: dt.date | None = None

    async def send(
        self,
        *,
        recipient: str,
        payload: bytes,
        workflow_id: str,
        subject: str,
        local_id: str,
        filename: str,
        content_type: str,
    ) -> str:
        """Sends one message and returns its MESH message id."""

        def send(client: MeshClient) -> str:
            return client.send_message(
                recipient,
                payload,
                workflow_id=workflow_id,
                subject=subject,
                local_id=local_id,
                filename=filename,
                content_type=content_type,
            )

        return await self._call("send", send)

    async def receive(self, limit: int = 100) -> list[InboxItem]:
        """Reports and acknowledgements waiting in the inbox; other messages are left where they are."""

        def receive(client: MeshClient) -> list[InboxItem]:
            items: list[InboxItem] = []
            for message_id in client.list_messages(max_results=max(limit, 10))[:limit]:
                item = _read_message(client, message_id)
                if item is not None:
                    items.append(item)
            return items

        return await self._call("receive", receive)

    async def acknowledge(self, mesh_message_id: str) -> None:
        """Tells MESH the message is dealt with; it leaves the inbox."""

        def acknowledge(client: MeshClient) -> None:
            client.acknowledge_message(mesh_message_id)

        await self._call("acknowledge", acknowledge)

    async def aclose(self) -> None:
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()  # type: ignore[no-untyped-call]
                self._client = None

    async def _call(self, action: str, operation: Callable[[MeshClient], T]) -> T:
        return await asyncio.to_thread(self._locked, action, operation)

    def _locked(self, action: str, operation: Callable[[MeshClient], T]) -> T:
        with self._lock:
            try:
                return operation(self._connected())
            except UpstreamError:
                raise
            except (requests.RequestException, Urllib3Error, MeshError, OSError) as exc:
                raise _translate(self.source, action, exc) from None

    def _connected(self) -> MeshClient:
        if self._client is None:
            self._client = MeshClient(
                self.settings.url,
                self.settings.mailbox,
                self.settings.password,
                shared_key=self.settings.shared_key.encode(),
                cert=self.settings.cert,
                verify=self.settings.verify,
                timeout=self.settings.timeout_seconds,
                application_name="vclinic",
            )
        today = self._clock().date()
        # MESH asks every client to handshake once a day; it also proves the credentials before a send.
        if self._handshake_day != today:
            self._client.handshake()  # type: ignore[no-untyped-call]
            self._handshake_day = today
        return self._client


def _read_message(client: MeshClient, message_id: str) -> InboxItem | None:
    message = client.retrieve_message(message_id)
    try:
        if (message.message_type or "").upper() == "REPORT":
            return DeliveryReport(
                mesh_message_id=message_id,
                linked_message_id=_header(message, "linkedmsgid"),
                status_code=_header(message, "statuscode"),
            )
        if (message.workflow_id or "").upper() not in ACK_WORKFLOWS:
            log.info(
                "MESH message left in the inbox: not ours to read", extra={"mesh_message_id": message_id}
            )
            return None
        return read_itk_response(message_id, message.read(MAX_RESPONSE_BYTES))
    finally:
        message.close()  # type: ignore[no-untyped-call]


def _header(message: Any, name: str) -> str | None:
    value = message.mex_header(name)
    return str(value) if value else None


def _translate(source: str, action: str, exc: Exception) -> UpstreamError:
    what = f"MESH {action}: {type(exc).__name__}"
    if isinstance(exc, MeshError):
        return UpstreamBadResponse(source, f"MESH refused the message{_mesh_error_code(exc)}")
    if isinstance(exc, requests.Timeout):
        return UpstreamTimeout(source, what)
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        status = exc.response.status_code
        detail = f"MESH {action}: HTTP {status}"
        if status in (401, 403):
            return UpstreamRefused(source, detail)
        if status == 404:
            return UpstreamNotFound(source, detail)
        if status == 429 or status >= 500:
            return UpstreamUnavailable(source, detail)
        return UpstreamBadResponse(source, detail)
    return UpstreamUnavailable(source, what)


def _mesh_error_code(exc: MeshError) -> str:
    details = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
    code = details.get("errorCode") or details.get("error_code")
    return f" ({code})" if code else ""
