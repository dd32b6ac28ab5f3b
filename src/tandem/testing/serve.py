"""`tandem serve` in a child process on a free loopback port, for crash and load tests.

The server runs in its own session (process group), so `kill()` reaches uvicorn's worker
processes too, with SIGKILL: nothing gets to clean up, as in a power cut or an OOM kill.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """One `tandem serve` child; `base` is its URL once `start()` returns."""

    def __init__(self, url: str, workdir: Path, *, workers: int = 1, port: int | None = None):
        self.url, self.workdir, self.workers = url, workdir, workers
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = workdir / "serve.log"

    def start(self, timeout: float = 120) -> Server:
        env = {
            **os.environ,
            "TANDEM_DATABASE_URL": self.url,
            "TANDEM_DATA_DIR": str(self.workdir / "data"),
            "TANDEM_SECRET_KEY": "serve-test-" + "x" * 40,
        }
        command = [sys.executable, "-m", "tandem", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--workers", str(self.workers)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(self.base + "/api/v1/health", timeout=5).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"tandem serve did not start:\n{self.last_words()}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the server and its workers, and reap it."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM (graceful), then SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    def last_words(self, chars: int = 2000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""
