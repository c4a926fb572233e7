"""A real S3-compatible server for the tests: moto's standalone server in a child process."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
from botocore.client import BaseClient

ACCESS_KEY = "tutorial-access-key"
STARTUP_SECONDS = 30


def moto_server_binary() -> Path | None:
    """`moto_server` next to this Python (the repository's .venv) or on PATH."""
    beside = Path(sys.executable).parent / "moto_server"
    if beside.is_file():
        return beside
    found = shutil.which("moto_server")
    return Path(found) if found else None


class S3Server:
    """moto_server bound to 127.0.0.1 on a free port; `stop()` ends exactly that process."""

    def __init__(self, binary: Path, log_file: Path) -> None:
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._log = log_file.open("wb")
        self._process = subprocess.Popen(
            [str(binary), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_until_ready(self) -> S3Server:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"moto_server exited with {self._process.returncode}")
            try:
                urllib.request.urlopen(self.endpoint, timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"moto_server did not answer on {self.endpoint} in {STARTUP_SECONDS}s")

    def admin_client(self) -> BaseClient:
        """A client for setting up and inspecting buckets (moto accepts any credentials)."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key="admin-secret",
            # moto only creates buckets without a location constraint in us-east-1.
            region_name="us-east-1",
        )

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
