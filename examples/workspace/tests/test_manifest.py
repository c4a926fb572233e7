"""prefect.yaml: what it declares, what `prefect deploy` stores from it, and that its pull steps
fetch a runnable workspace."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.deployments.steps.core import run_steps
from prefect.exceptions import ObjectAlreadyExists
from prefect.settings import PREFECT_API_URL

WORKSPACE = Path(__file__).resolve().parents[1]
MANIFEST = WORKSPACE / "prefect.yaml"
DEPLOYMENT = "nyc-green-taxi-pipeline"
TAGS = ["nexus-stack-seed", "nexus-tutorials", "data-engineering"]
REPO_URL = "http://git.example.test/team/workspace.git"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text())


def test_the_manifest_declares_exactly_the_tutorial_deployment(manifest: dict) -> None:
    assert manifest["name"] == "nexus-tutorials"
    [deployment] = manifest["deployments"]
    assert deployment["name"] == DEPLOYMENT
    assert deployment["entrypoint"] == (
        "flows/nyc_green_taxi_pipeline.py:nyc_green_taxi_pipeline"
    )
    assert deployment["work_pool"] == {"name": "local-pool"}
    assert deployment["tags"] == TAGS
    assert "push" in deployment["description"] and "edit" in deployment["description"]
    assert "parameters" not in deployment


def test_the_manifest_has_no_schedule_and_nothing_to_build_or_push(manifest: dict) -> None:
    [deployment] = manifest["deployments"]
    assert deployment["schedules"] == []
    assert "schedule" not in deployment
    assert manifest["build"] is None and manifest["push"] is None


def test_the_pull_steps_clone_the_workspace_without_credentials_then_install_requirements(
    manifest: dict,
) -> None:
    clone, install = manifest["pull"]
    clone = clone["prefect.deployments.steps.git_clone"]
    install = install["prefect.deployments.steps.pip_install_requirements"]

    assert clone["repository"] == "{{ $WORKSPACE_REPO_URL }}"
    assert clone["branch"] == "{{ $WORKSPACE_BRANCH }}"
    assert not {"access_token", "credentials"} & clone.keys()
    assert install["directory"] == "{{ " + clone["id"] + ".directory }}"


def test_prefect_deploy_stores_the_resolved_workspace_url_and_no_schedule(
    tmp_path: Path,
) -> None:
    asyncio.run(ensure_work_pool("local-pool"))
    environment = {
        **os.environ,
        "PREFECT_API_URL": PREFECT_API_URL.value(),
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "WORKSPACE_REPO_URL": REPO_URL,
        "WORKSPACE_BRANCH": "main",
    }

    deploy = subprocess.run(
        [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--name", DEPLOYMENT],
        cwd=WORKSPACE,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    deployment = asyncio.run(read_deployment())
    clone, install = deployment.pull_steps
    assert clone["prefect.deployments.steps.git_clone"]["repository"] == REPO_URL
    assert clone["prefect.deployments.steps.git_clone"]["branch"] == "main"
    assert install["prefect.deployments.steps.pip_install_requirements"]["directory"] == (
        "{{ clone-workspace.directory }}"
    )
    assert sorted(deployment.tags) == sorted(TAGS)
    assert deployment.schedules == []
    assert deployment.parameter_openapi_schema["properties"]["months"]["default"] == ["01", "02"]


def test_the_pull_steps_fetch_a_checkout_whose_flow_loads(
    manifest: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = make_workspace_repository(tmp_path / "remote")
    monkeypatch.setenv("WORKSPACE_REPO_URL", remote.as_uri())
    monkeypatch.setenv("WORKSPACE_BRANCH", "main")
    monkeypatch.chdir(tmp_path)

    outputs = asyncio.run(run_steps(manifest["pull"], print_function=lambda *a, **k: None))

    checkout = tmp_path / outputs["clone-workspace"]["directory"]
    assert (checkout / "flows" / "nyc_green_taxi_pipeline.py").is_file()
    assert "Requirement already satisfied: duckdb==" in outputs["stdout"]


async def ensure_work_pool(name: str) -> None:
    async with get_client() as client:
        try:
            await client.create_work_pool(WorkPoolCreate(name=name, type="process"))
        except ObjectAlreadyExists:
            pass


async def read_deployment():
    async with get_client() as client:
        return await client.read_deployment_by_name(f"{DEPLOYMENT}/{DEPLOYMENT}")


def make_workspace_repository(path: Path) -> Path:
    """A git repository whose main branch holds the workspace files, as the stack seeds it."""
    git = ["git", "-c", "user.name=Tutorial", "-c", "user.email=tutorial@example.test"]
    subprocess.run(["git", "init", "--quiet", "--initial-branch=main", str(path)], check=True)
    for source in WORKSPACE.rglob("*"):
        if source.is_file() and "__pycache__" not in source.parts:
            target = path / source.relative_to(WORKSPACE)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    subprocess.run([*git, "-C", str(path), "add", "--all"], check=True)
    subprocess.run([*git, "-C", str(path), "commit", "--quiet", "-m", "seed"], check=True)
    return path
