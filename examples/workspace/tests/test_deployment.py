"""The workspace as the worker uses it: `prefect deploy` registers it, a worker runs it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.exceptions import ObjectAlreadyExists
from prefect.settings import PREFECT_API_URL

WORKSPACE = Path(__file__).resolve().parents[1]
DEPLOYMENT = "nyc-green-taxi-pipeline"
WORK_POOL = "local-pool"
PREFECT = [sys.executable, "-m", "prefect", "--no-prompt"]


@pytest.fixture
def worker_environment(tmp_path: Path) -> dict[str, str]:
    """What the entrypoint gives `prefect deploy` and the worker, minus the workspace URL."""
    asyncio.run(ensure_work_pool(WORK_POOL))
    return {
        **os.environ,
        "PREFECT_API_URL": PREFECT_API_URL.value(),
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "WORKSPACE_BRANCH": "main",
    }


def test_prefect_deploy_stores_the_resolved_workspace_url_and_no_schedule(
    worker_environment: dict[str, str],
) -> None:
    repo_url = "http://git.example.test/team/workspace.git"

    deploy(worker_environment | {"WORKSPACE_REPO_URL": repo_url})

    deployment = asyncio.run(read_deployment())
    clone, install = deployment.pull_steps
    assert clone["prefect.deployments.steps.git_clone"]["repository"] == repo_url
    assert clone["prefect.deployments.steps.git_clone"]["branch"] == "main"
    # Step outputs are only known at run time, so this placeholder is stored as written.
    assert install["prefect.deployments.steps.pip_install_requirements"]["directory"] == (
        "{{ clone-workspace.directory }}"
    )
    assert sorted(deployment.tags) == ["data-engineering", "nexus-stack-seed", "nexus-tutorials"]
    assert deployment.schedules == []
    assert deployment.parameter_openapi_schema["properties"]["months"]["default"] == ["01", "02"]


def test_a_worker_runs_the_registered_deployment_from_a_fresh_clone(
    worker_environment: dict[str, str], workspace_remote: Path, bucket: str, s3, tmp_path: Path
) -> None:
    # The bucket fixture has put the storage settings and TLC_BASE_URL into os.environ.
    environment = {**worker_environment, **os.environ}
    environment["WORKSPACE_REPO_URL"] = workspace_remote.as_uri()
    deploy(environment)
    flow_run = asyncio.run(create_flow_run(parameters={"months": ["02"]}))

    worker = subprocess.run(
        [*PREFECT, "worker", "start", "--pool", WORK_POOL, "--run-once"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
    )

    finished = asyncio.run(read_flow_run(flow_run.id))
    assert finished.state.is_completed(), worker.stdout + worker.stderr
    listing = s3.list_objects_v2(Bucket=bucket)
    assert [item["Key"] for item in listing["Contents"]] == [
        "nexus-tutorials/NYC/green_tripdata_2025-02.parquet"
    ]


def deploy(environment: dict[str, str]) -> None:
    result = subprocess.run(
        [*PREFECT, "deploy", "--name", DEPLOYMENT],
        cwd=WORKSPACE,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


async def ensure_work_pool(name: str) -> None:
    async with get_client() as client:
        try:
            await client.create_work_pool(WorkPoolCreate(name=name, type="process"))
        except ObjectAlreadyExists:
            pass


async def read_deployment():
    async with get_client() as client:
        return await client.read_deployment_by_name(f"{DEPLOYMENT}/{DEPLOYMENT}")


async def create_flow_run(parameters: dict):
    async with get_client() as client:
        deployment = await client.read_deployment_by_name(f"{DEPLOYMENT}/{DEPLOYMENT}")
        return await client.create_flow_run_from_deployment(deployment.id, parameters=parameters)


async def read_flow_run(flow_run_id):
    async with get_client() as client:
        return await client.read_flow_run(flow_run_id)
