"""Real servers for the pipeline tests: a temporary Prefect API, moto's S3 server, and a local
copy of the TLC site serving the real January and February 2025 files."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

WORKSPACE = Path(__file__).resolve().parents[1]
REPO_ROOT = WORKSPACE.parents[1]

# The flow reads its retry delay at import time; tests should not sit through real waits.
os.environ["TAXI_RETRY_DELAY_SECONDS"] = "0"
# Prefect puts the flow file's folder on sys.path when it loads a deployment; do the same.
sys.path.insert(0, str(WORKSPACE / "flows"))

from prefect.testing.utilities import prefect_test_harness  # noqa: E402

from s3_server import S3Server, moto_server_binary  # noqa: E402
from tlc_file_server import TlcFileServer  # noqa: E402

TLC_FILES = ("green_tripdata_2025-01.parquet", "green_tripdata_2025-02.parquet")


def tlc_data_dir() -> Path:
    """The real TLC files: $TLC_DATA_DIR, or shared/data/tlc beside the repository."""
    configured = os.environ.get("TLC_DATA_DIR")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "data" / "tlc"


@pytest.fixture(scope="session")
def tlc_dir() -> Path:
    folder = tlc_data_dir()
    missing = [name for name in TLC_FILES if not (folder / name).is_file()]
    if missing:
        pytest.skip(f"TLC files {missing} not found in {folder}; set TLC_DATA_DIR to their folder")
    return folder


@pytest.fixture(scope="session", autouse=True)
def prefect_api() -> Iterator[None]:
    with prefect_test_harness():
        yield


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    binary = moto_server_binary()
    if binary is None:
        pytest.skip("moto_server is not installed; run `npm run setup` to create .venv")
    server = S3Server(binary, tmp_path_factory.mktemp("moto") / "moto.log")
    try:
        yield server.wait_until_ready()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def file_server(tlc_dir: Path) -> Iterator[TlcFileServer]:
    server = TlcFileServer(tlc_dir).start()
    yield server
    server.stop()


@pytest.fixture
def tlc(file_server: TlcFileServer) -> TlcFileServer:
    """The TLC stand-in with an empty request log and no faults left over from other tests."""
    file_server.reset()
    return file_server


@pytest.fixture
def s3(s3_server: S3Server):
    return s3_server.admin_client()


@pytest.fixture
def secret_key() -> str:
    return f"never-log-me-{uuid.uuid4().hex}"


@pytest.fixture
def bucket(
    monkeypatch: pytest.MonkeyPatch, s3_server: S3Server, s3, tlc: TlcFileServer, secret_key: str
) -> str:
    """A fresh bucket, with the worker environment a run needs pointing at it and at the TLC."""
    name = f"tutorial-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)

    monkeypatch.setenv("R2_ENDPOINT", s3_server.endpoint)
    monkeypatch.setenv("R2_ACCESS_KEY", "tutorial-access-key")
    monkeypatch.setenv("R2_SECRET_KEY", secret_key)
    monkeypatch.setenv("R2_BUCKET", name)
    monkeypatch.delenv("R2_REGION", raising=False)
    monkeypatch.setenv("TLC_BASE_URL", tlc.base_url)
    return name


@pytest.fixture
def workspace_remote(tmp_path: Path) -> Path:
    """A git repository whose main branch holds this workspace, as the stack seeds it."""
    path = tmp_path / "workspace-remote"
    git = ["git", "-C", str(path), "-c", "user.name=Tutor", "-c", "user.email=tutor@example.test"]
    subprocess.run(["git", "init", "--quiet", "--initial-branch=main", str(path)], check=True)
    for source in WORKSPACE.rglob("*"):
        if source.is_file() and not {"__pycache__", ".pytest_cache"} & set(source.parts):
            target = path / source.relative_to(WORKSPACE)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    subprocess.run([*git, "add", "--all"], check=True)
    subprocess.run([*git, "commit", "--quiet", "-m", "Seed the tutorial workspace"], check=True)
    return path
