"""Container healthcheck: exit 0 when one of the given URLs answers 200, else 1.

    python /app/healthcheck.py URL [URL ...]

Without arguments it checks ``/livez`` on the three services' default ports, so the image's
own HEALTHCHECK works whichever service the container runs; deploy/docker-compose.yml passes
the service's ``/readyz`` instead. Standard library only: nothing to install in the image.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

DEFAULT_URLS = [f"http://127.0.0.1:{port}/livez" for port in (9101, 6066, 9103)]


def answers(url: str, timeout_s: float = 3.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def main(argv: list[str]) -> int:
    return 0 if any(answers(url) for url in (argv or DEFAULT_URLS)) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
