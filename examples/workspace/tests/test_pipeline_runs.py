"""Whole runs of the flow against real servers: what lands in the bucket and what is reported."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import duckdb
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    ArtifactFilterKey,
)

from nyc_green_taxi_pipeline import ARTIFACT_KEY, OBJECT_PREFIX, nyc_green_taxi_pipeline
from expected_statistics import expected_statistics

JANUARY = "green_tripdata_2025-01.parquet"
FEBRUARY = "green_tripdata_2025-02.parquet"


def stored_objects(s3, bucket: str) -> dict[str, int]:
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=OBJECT_PREFIX + "/")
    return {item["Key"]: item["Size"] for item in listing.get("Contents", [])}


def assert_same_statistics(stats, expected: dict) -> None:
    actual = dataclasses.asdict(stats)
    expected = dict(expected)
    for name in ("average_trip_distance", "average_total_amount", "average_passenger_count"):
        assert actual.pop(name) == pytest.approx(expected.pop(name), rel=1e-9), name
    assert actual == expected


def test_default_run_uploads_both_months_and_reports_statistics_matching_the_local_files(
    bucket: str, s3, tlc, tlc_dir: Path
) -> None:
    stats = nyc_green_taxi_pipeline()

    assert stored_objects(s3, bucket) == {
        f"{OBJECT_PREFIX}/{JANUARY}": (tlc_dir / JANUARY).stat().st_size,
        f"{OBJECT_PREFIX}/{FEBRUARY}": (tlc_dir / FEBRUARY).stat().st_size,
    }
    expected = expected_statistics(tlc_dir, 2025, ["01", "02"])
    assert expected["total_trips"] == 94_947
    assert stats.total_trips == 94_947
    assert_same_statistics(stats, expected)


def test_default_run_publishes_a_table_artifact_with_the_totals(bucket: str) -> None:
    state = nyc_green_taxi_pipeline(return_state=True)

    with get_client(sync_client=True) as client:
        [artifact] = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[ARTIFACT_KEY]),
                flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id]),
            )
        )
    # The API returns a table artifact's rows as a JSON document.
    rows = {row["metric"]: row["value"] for row in json.loads(artifact.data)}
    assert artifact.type == "table"
    assert rows["trips in total"] == "94,947"
    assert rows["trips in 2025-01"] == "48,326"


def test_rerun_skips_months_already_in_the_bucket(bucket: str, tlc) -> None:
    nyc_green_taxi_pipeline()
    tlc.reset()

    stats = nyc_green_taxi_pipeline()

    assert [tlc.count("GET", name) for name in (JANUARY, FEBRUARY)] == [0, 0]
    assert [tlc.count("HEAD", name) for name in (JANUARY, FEBRUARY)] == [1, 1]
    assert stats.total_trips == 94_947


def test_force_downloads_and_uploads_again_even_when_the_bucket_has_the_months(
    bucket: str, tlc
) -> None:
    nyc_green_taxi_pipeline()
    tlc.reset()

    nyc_green_taxi_pipeline(force=True)

    assert [tlc.count("GET", name) for name in (JANUARY, FEBRUARY)] == [1, 1]


def test_an_object_of_a_different_size_is_replaced(bucket: str, s3, tlc, tlc_dir: Path) -> None:
    s3.put_object(Bucket=bucket, Key=f"{OBJECT_PREFIX}/{JANUARY}", Body=b"PAR1 older copy PAR1")

    nyc_green_taxi_pipeline(months=["01"])

    assert tlc.count("GET", JANUARY) == 1
    stored = stored_objects(s3, bucket)[f"{OBJECT_PREFIX}/{JANUARY}"]
    assert stored == (tlc_dir / JANUARY).stat().st_size


def test_yellow_taxi_objects_in_the_prefix_are_left_alone_and_not_counted(
    bucket: str, s3, tmp_path: Path
) -> None:
    yellow = tmp_path / "yellow.parquet"
    duckdb.sql(
        "SELECT 2 AS VendorID, TIMESTAMP '2025-01-15 08:00' AS tpep_pickup_datetime,"
        " 3.5 AS trip_distance, 20.0 AS total_amount, 1 AS passenger_count"
        " FROM range(1000)"
    ).write_parquet(str(yellow))
    yellow_key = f"{OBJECT_PREFIX}/yellow_tripdata_2025-01.parquet"
    s3.upload_file(str(yellow), bucket, yellow_key)
    before = s3.head_object(Bucket=bucket, Key=yellow_key)

    stats = nyc_green_taxi_pipeline()

    after = s3.head_object(Bucket=bucket, Key=yellow_key)
    assert (after["ETag"], after["LastModified"]) == (before["ETag"], before["LastModified"])
    assert stats.total_trips == 94_947


def test_a_one_month_run_after_a_two_month_run_reports_only_that_month(
    bucket: str, tlc_dir: Path
) -> None:
    nyc_green_taxi_pipeline()

    stats = nyc_green_taxi_pipeline(months=["02"])

    assert stats.trips_per_month == {"2025-02": 46_621}
    assert_same_statistics(stats, expected_statistics(tlc_dir, 2025, ["02"]))


def test_the_run_log_shows_the_statistics_block(bucket: str, caplog) -> None:
    caplog.set_level("INFO", logger="prefect")

    nyc_green_taxi_pipeline(months=["01"])

    report = next(r.getMessage() for r in caplog.records if "statistics for" in r.getMessage())
    assert f"s3://{bucket}/{OBJECT_PREFIX}/" in report
    assert "48,326" in report
    assert report.count("\n") >= 10
