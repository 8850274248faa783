"""A Bulk Data export served from NDJSON files on disk, for the case-finding bench.

Run: ``python -m bench._bulk_files DIRECTORY PORT``. The mock GP builds every export in memory, which a
million-resource practice would not fit, so this serves what ``bench.case_finding`` wrote: the kick-off at
``/fhir/Patient/$export`` answers 202 at once, the status URL answers the manifest (``manifest.json`` in the
directory), and each ``<Type>.ndjson`` is streamed from disk.
"""

from __future__ import annotations

import shutil
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

STATUS_PATH = "/bulk/status/bench"


class _BulkFiles(BaseHTTPRequestHandler):
    directory: Path

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/fhir/metadata":
            self._answer(200, b'{"resourceType":"CapabilityStatement"}', "application/fhir+json")
        elif path in ("/fhir/Patient/$export", "/fhir/Group/bench/$export"):
            self.send_response(202)
            self.send_header("Content-Location", STATUS_PATH)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == STATUS_PATH:
            # The manifest names its files by path; the client fetches them from where it found the job.
            here = f'"http://{self.headers.get("host", "127.0.0.1")}/bulk/files/'.encode()
            manifest = (self.directory / "manifest.json").read_bytes().replace(b'"/bulk/files/', here)
            self._answer(200, manifest, "application/json")
        elif path.startswith("/bulk/files/") and path.endswith(".ndjson"):
            file = self.directory / Path(path).name
            if not file.is_file():
                self._answer(404, b"{}", "application/json")
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/fhir+ndjson")
            self.send_header("Content-Length", str(file.stat().st_size))
            self.end_headers()
            with file.open("rb") as body:
                shutil.copyfileobj(body, self.wfile, 1 << 16)
        else:
            self._answer(404, b"{}", "application/json")

    def do_DELETE(self) -> None:
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _answer(self, status: int, body: bytes, media_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


def main() -> None:
    directory, port = Path(sys.argv[1]), int(sys.argv[2])
    handler = type("BulkFiles", (_BulkFiles,), {"directory": directory})
    with ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
