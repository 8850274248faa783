"""Running the mock GP: in the foreground for the ``vclinic mock-gp`` command, or in a thread for tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from adapters.mock_gp.app import create_mock_gp_app
from adapters.mock_gp.faults import FaultConfig

LOOPBACK = "127.0.0.1"


def serve_mock_gp(
    port: int,
    data_dir: Path,
    host: str = LOOPBACK,
    *,
    faults: FaultConfig | None = None,
    log_level: str = "info",
) -> None:
    """Serve until interrupted. Without ``faults``, they come from ``VCLINIC_MOCK_GP_FAULTS`` (JSON).

    No access log: request lines carry query strings, and query strings carry NHS numbers.
    """
    app = create_mock_gp_app(data_dir, faults if faults is not None else FaultConfig.from_env())
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)


@contextmanager
def running_mock_gp(
    data_dir: Path, faults: FaultConfig = FaultConfig(), *, startup_timeout: float = 10.0
) -> Iterator[str]:
    """The mock GP on 127.0.0.1, on a port the system picks, in a background thread; yields its FHIR base URL.

    Port 0 rather than a probed "free" port: the socket is bound once, so no other process can take it between
    the probe and the bind.
    """
    app = create_mock_gp_app(data_dir, faults)
    server = uvicorn.Server(uvicorn.Config(app, host=LOOPBACK, port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="mock-gp", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the mock GP did not start")
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://{LOOPBACK}:{port}/fhir"
    finally:
        server.should_exit = True
        thread.join(timeout=startup_timeout)
