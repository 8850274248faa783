"""Driving Debian's ``wrk`` against one route on loopback and reading back its throughput and latency."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

WRK = "/usr/bin/wrk"
INSTALL_HINT = "the load benchmark needs wrk: apt-get install wrk"
# One thread keeps the Lua request counter, and so every Idempotency-Key, unique without coordination.
THREADS = 1

# ``request`` rotates over the route's paths; a write gets a fresh Idempotency-Key each time. ``done`` prints
# the one line this module reads: requests, duration and latency percentiles (µs), then the failures.
_SCRIPT = """
local paths = {%(paths)s}
local method = "%(method)s"
local body = %(body)s
local token = "%(token)s"
local key_prefix = "%(key_prefix)s"
local counter = 0

request = function()
  counter = counter + 1
  local headers = {["Accept"] = "application/json"}
  if token ~= "" then headers["Authorization"] = "Bearer " .. token end
  if body ~= nil then
    headers["Content-Type"] = "application/json"
    headers["Idempotency-Key"] = key_prefix .. counter
  end
  return wrk.format(method, paths[(counter %% #paths) + 1], headers, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%.0f %%.0f %%.0f %%.0f %%.0f %%.0f\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass(frozen=True)
class Route:
    """What wrk sends: ``method`` to each of ``paths`` in turn, as the holder of ``token`` (none if empty)."""

    name: str
    paths: tuple[str, ...]
    token: str = ""
    method: str = "GET"
    body: str | None = None


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failed: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def wrk_missing() -> bool:
    return shutil.which(WRK) is None


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _script(route: Route) -> str:
    return _SCRIPT % {
        "paths": ", ".join(_lua_string(path) for path in route.paths),
        "method": route.method,
        "body": "nil" if route.body is None else _lua_string(route.body),
        "token": route.token,
        "key_prefix": f"bench-{secrets.token_hex(6)}-",
    }


def run_wrk(base_url: str, route: Route, *, seconds: int, connections: int) -> Load:
    """One bounded wrk run; non-2xx/3xx answers and socket errors are counted as failed."""
    with tempfile.TemporaryDirectory() as temporary:
        script = Path(temporary) / "route.lua"
        script.write_text(_script(route), encoding="utf-8")
        command = [
            WRK,
            f"--threads={THREADS}",
            f"--connections={connections}",
            f"--duration={seconds}s",
            "--timeout=10s",
            f"--script={script}",
            base_url,
        ]
        output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60)
    line = next((line for line in output.stdout.splitlines() if line.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no result for {route.name}: {output.stdout[-500:]}")
    requests, duration, p50, p99, status_errors, socket_errors = (float(part) for part in line.split()[1:])
    return Load(int(requests), duration / 1e6, p50 / 1e3, p99 / 1e3, int(status_errors + socket_errors))
