"""Serve a folder of fixture pages on loopback, for the offline demo and the tests.

Files may contain ``{base}``, replaced by the server's own base URL, so feeds can
link to pages without knowing the port. ``.cp1256``/``.iso88596`` files are
served as-is with the charset in their name (to test legacy encodings).
Not for production use: it exists so `make run` and the tests need no network.
"""

from __future__ import annotations

import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_TYPES = {
    ".xml": "application/xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".cp1256": "text/html; charset=windows-1256",
    ".iso88596": "text/html; charset=iso-8859-6",
}


class DevSite:
    """``with DevSite(folder) as site: site.base`` → ``http://127.0.0.1:PORT``."""

    def __init__(self, root: str | Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = Path(root).resolve()
        self.requests: list[str] = []
        site = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                path = (site.root / self.path.split("?", 1)[0].lstrip("/")).resolve()
                if path.is_dir():
                    path = path / "index.html"
                if (site.root not in path.parents and path != site.root) or not path.is_file():
                    self.send_error(404)
                    return
                data = path.read_bytes()
                ctype = _TYPES.get(path.suffix, "application/octet-stream")
                if "charset=utf-8" in ctype:
                    data = data.replace(b"{base}", site.base.encode("ascii"))
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="devsite", daemon=True)

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host.decode() if isinstance(host, bytes) else host}:{port}"

    def start(self) -> DevSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> DevSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
