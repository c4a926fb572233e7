"""The storage secret key must not leak into anything a run leaves behind."""

from __future__ import annotations

import asyncio
import logging

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from prefect.logging.handlers import APILogHandler

from nyc_green_taxi_pipeline import nyc_green_taxi_pipeline


async def server_side_log(flow_run_id) -> str:
    """Every log line the Prefect API stored for the flow run, as the run page shows them."""
    await APILogHandler.aflush()
    async with get_client() as client:
        logs = await client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
        )
    return "\n".join(log.message for log in logs)


@pytest.mark.parametrize("outcome", ["completed", "failed"])
def test_the_secret_key_appears_in_no_log_output_or_stored_log(
    outcome: str,
    bucket: str,
    secret_key: str,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    if outcome == "failed":
        monkeypatch.setenv("R2_BUCKET", "no-such-bucket-here")

    state = nyc_green_taxi_pipeline(months=["01"], return_state=True)

    assert state.type.value.lower() == outcome
    stored = asyncio.run(server_side_log(state.state_details.flow_run_id))
    printed = capfd.readouterr()
    assert "Finished in state" in stored
    for output in (caplog.text, printed.out, printed.err, stored, repr(state)):
        assert secret_key not in output
