"""NHS Digital's mesh-sandbox on loopback, and the practice's side of MESH for the tests.

Mailboxes come with the sandbox: X26ABC1 is ours, X26ABC2 the practice's (password "password", shared key
"Banana"). Plain http on 127.0.0.1, so clients run with ``verify=False``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from mesh_client import MeshClient

from adapters.mesh.mailbox import MeshMailboxSettings
from tests.adapters.mesh.itk_responses import itk_response_xml
from tests.support.live_server import free_port

OUR_MAILBOX = "X26ABC1"
PRACTICE_MAILBOX = "X26ABC2"
PASSWORD = "password"
SHARED_KEY = "Banana"
ACK_WORKFLOW = "GPCONNECT_SEND_DOCUMENT_ACK"


@contextmanager
def running_mesh_sandbox(data_dir: Path, *, startup_timeout: float = 20.0) -> Iterator[str]:
    """The sandbox in a subprocess, its messages in ``data_dir``; yields its base URL."""
    port = free_port()
    env = {**os.environ, "STORE_MODE": "file", "MAILBOXES_DATA_DIR": str(data_dir), "AUTH_MODE": "none"}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "mesh_sandbox.api:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, startup_timeout)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("mesh-sandbox exited during start-up")
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("mesh-sandbox did not start in time")


def our_mailbox_settings(url: str) -> MeshMailboxSettings:
    return MeshMailboxSettings(
        url=url, mailbox=OUR_MAILBOX, password=PASSWORD, shared_key=SHARED_KEY, verify=False
    )


@dataclass(frozen=True)
class ReceivedLetter:
    mesh_message_id: str
    workflow_id: str | None
    subject: str | None
    local_id: str | None
    body: bytes


class PracticeMailbox:
    """The practice's GP system on MESH: collects our letters and answers them with ITK3 responses."""

    def __init__(self, url: str) -> None:
        self._client = MeshClient(
            url, PRACTICE_MAILBOX, PASSWORD, shared_key=SHARED_KEY.encode(), verify=False
        )

    def collect(self, mesh_message_id: str) -> ReceivedLetter:
        """Downloads one of our letters and acknowledges it to MESH, as a GP system does."""
        assert mesh_message_id in self._client.list_messages()
        message = self._client.retrieve_message(mesh_message_id)
        letter = ReceivedLetter(
            mesh_message_id, message.workflow_id, message.subject, message.local_id, message.read()
        )
        message.close()  # type: ignore[no-untyped-call]
        self._client.acknowledge_message(mesh_message_id)
        return letter

    def respond(self, message_id: str, code: str, *, response_code: str = "ok") -> str:
        payload = itk_response_xml(message_id, code, response_code=response_code)
        return self._client.send_message(
            OUR_MAILBOX, payload, workflow_id=ACK_WORKFLOW, content_type="application/fhir+xml"
        )

    def close(self) -> None:
        self._client.close()  # type: ignore[no-untyped-call]


def report_undelivered(url: str, mesh_message_id: str, code: str = "EPL-151") -> None:
    """Has the sandbox put a non-delivery REPORT about our message into our inbox, as MESH's router would."""
    response = httpx.post(
        f"{url}/messageexchange/admin/report",
        json={
            "mailbox_id": OUR_MAILBOX,
            "code": code,
            "description": "No mailbox matched",
            "workflow_id": "GPCONNECT_SEND_DOCUMENT",
            "status": "error",
            "linked_message_id": mesh_message_id,
        },
        timeout=5.0,
    )
    response.raise_for_status()
