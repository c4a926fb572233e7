"""Runs that must fail, and fail early and clearly, or recover from a passing fault."""

from __future__ import annotations

import asyncio

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    TaskRunFilter,
    TaskRunFilterName,
)

from nyc_green_taxi_pipeline import OBJECT_PREFIX, nyc_green_taxi_pipeline
from nyc_taxi.parquet_check import NotParquetError
from nyc_taxi.settings import MissingSettingsError
from nyc_taxi.source import MonthNotPublishedError, SourceUnavailableError
from nyc_taxi.storage import StorageRejectedError
from nyc_taxi.trip_files import InvalidParametersError
from tlc_file_server import TRUNCATE

JANUARY = "green_tripdata_2025-01.parquet"
MARCH = "green_tripdata_2025-03.parquet"
ATTEMPTS = 4  # the first try and three retries


def stored_keys(s3, bucket: str) -> list[str]:
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=OBJECT_PREFIX + "/")
    return [item["Key"] for item in listing.get("Contents", [])]


def total_requests(tlc) -> int:
    return sum(tlc.requests.values())


def test_a_truncated_file_is_rejected_without_retrying_and_never_uploaded(
    bucket: str, s3, tlc
) -> None:
    tlc.fail_next("GET", JANUARY, TRUNCATE)

    with pytest.raises(NotParquetError, match=r"green_tripdata_2025-01\.parquet.*PAR1"):
        nyc_green_taxi_pipeline(months=["01"])

    assert tlc.count("GET", JANUARY) == 1
    assert stored_keys(s3, bucket) == []


def test_an_unpublished_month_fails_the_run_before_any_download(bucket: str, s3, tlc) -> None:
    with pytest.raises(MonthNotPublishedError, match=r"green_tripdata_2025-03.*not published"):
        nyc_green_taxi_pipeline(months=["01", "03"])

    assert tlc.count("HEAD", MARCH) == 1
    assert tlc.count("GET", JANUARY) == 0
    assert stored_keys(s3, bucket) == []


def test_a_404_from_the_source_counts_as_not_published(bucket: str, tlc) -> None:
    tlc.fail_next("HEAD", JANUARY, 404)

    with pytest.raises(MonthNotPublishedError, match="HTTP 404"):
        nyc_green_taxi_pipeline(months=["01"])

    assert tlc.count("HEAD", JANUARY) == 1


def test_a_server_error_during_download_is_retried_and_the_run_succeeds(
    bucket: str, s3, tlc
) -> None:
    tlc.fail_next("GET", JANUARY, 500)

    stats = nyc_green_taxi_pipeline(months=["01"])

    assert tlc.count("GET", JANUARY) == 2
    assert stored_keys(s3, bucket) == [f"{OBJECT_PREFIX}/{JANUARY}"]
    assert stats.total_trips == 48_326


def test_a_source_that_keeps_failing_is_given_up_after_the_retries(bucket: str, tlc) -> None:
    tlc.fail_next("HEAD", JANUARY, *[503] * ATTEMPTS)

    with pytest.raises(SourceUnavailableError, match="HTTP 503"):
        nyc_green_taxi_pipeline(months=["01"])

    assert tlc.count("HEAD", JANUARY) == ATTEMPTS


@pytest.mark.parametrize(
    ("parameters", "named"),
    [
        pytest.param({"months": ["13", "1", "01"]}, ["'13'", "'1'"], id="not-01-to-12"),
        pytest.param({"months": ["01", "02", "01"]}, ["'01'", "more than once"], id="repeated"),
        pytest.param({"months": []}, ["months is empty"], id="empty"),
        pytest.param({"year": 1999}, ["year 1999"], id="year-before-2013"),
        pytest.param({"months": ["00"], "year": 2100}, ["'00'", "year 2100"], id="all-at-once"),
    ],
)
def test_invalid_parameters_are_rejected_by_name_before_any_request(
    bucket: str, tlc, parameters: dict, named: list[str]
) -> None:
    with pytest.raises(InvalidParametersError) as failure:
        nyc_green_taxi_pipeline(**parameters)

    for fragment in named:
        assert fragment in str(failure.value)
    assert total_requests(tlc) == 0


def test_missing_storage_settings_are_all_named_in_one_error_before_any_request(
    bucket: str, tlc, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("R2_ENDPOINT", "R2_ACCESS_KEY", "R2_BUCKET"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("R2_SECRET_KEY", "  ")

    with pytest.raises(MissingSettingsError) as failure:
        nyc_green_taxi_pipeline()

    for name in ("R2_ENDPOINT", "R2_ACCESS_KEY", "R2_SECRET_KEY", "R2_BUCKET"):
        assert f"{name} is not set" in str(failure.value)
    assert total_requests(tlc) == 0


def test_an_endpoint_without_scheme_is_reported_as_a_setting_problem(
    bucket: str, tlc, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("R2_ENDPOINT", "example.r2.cloudflarestorage.com")

    with pytest.raises(MissingSettingsError, match="not an http"):
        nyc_green_taxi_pipeline()

    assert total_requests(tlc) == 0


def test_a_bucket_that_does_not_exist_is_reported_by_name_without_retrying(
    bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("R2_BUCKET", "no-such-bucket-here")

    state = nyc_green_taxi_pipeline(months=["01"], return_state=True)

    with pytest.raises(StorageRejectedError, match="no-such-bucket-here.*R2_BUCKET"):
        state.result()
    upload = asyncio.run(read_task_run(state.state_details.flow_run_id, "upload-2025-01"))
    assert upload.run_count == 1


async def read_task_run(flow_run_id, name: str):
    async with get_client() as client:
        [task_run] = await client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
            task_run_filter=TaskRunFilter(name=TaskRunFilterName(any_=[name])),
        )
    return task_run
