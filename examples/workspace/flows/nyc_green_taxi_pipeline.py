"""
NYC Green Taxi pipeline: from the city's open data to statistics, with Prefect.

The NYC Taxi & Limousine Commission (TLC) publishes every month of taxi trips as one parquet
file. This flow copies some months of Green Taxi trips into our object storage and asks DuckDB
a few questions about them:

1. Check the parameters and the storage settings. Mistakes fail here, before any download.
2. Ask the TLC for the size of each month's file (HEAD). A month the TLC has not published
   yet fails the whole run now, so a run never stops halfway.
3. For each month: if the bucket already holds an object of exactly that size, skip it
   (re-runs cost no download). Otherwise stream the file to a temporary folder, check it
   really is parquet, and upload it to `<bucket>/nexus-tutorials/NYC/<file name>`.
4. Let DuckDB read exactly this run's objects from the bucket and compute trip counts,
   averages, the pickup date range and the street-hail/dispatch split.
5. Write the numbers to the log and to a table artifact on the flow run's page.

Prefect ideas to look for: `@task` with `retries` around everything that talks to the network,
a retry condition that gives up on failures retrying cannot fix, `get_run_logger()` for log
lines with a level, `log_prints=True` so `print` lands in the run log, and an artifact.

To change the flow: edit this file (or the helpers in `nyc_taxi/`) in the workspace
repository, commit, push, and run the deployment again. Every run clones the latest commit.
"""

from __future__ import annotations

import os
from pathlib import Path
from tempfile import TemporaryDirectory

from prefect import Task, flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import TaskRun
from prefect.states import State
from prefect.tasks import exponential_backoff

from nyc_taxi import duckdb_s3, source, storage
from nyc_taxi.errors import is_worth_retrying
from nyc_taxi.report import report_rows, report_text
from nyc_taxi.settings import StorageSettings
from nyc_taxi.statistics import TripStatistics, object_url, summarize
from nyc_taxi.trip_files import TripFile, plan_trip_files

# --- Configuration ------------------------------------------------------------------------------
# The worker's environment supplies the storage settings (R2_ENDPOINT, R2_ACCESS_KEY,
# R2_SECRET_KEY, R2_BUCKET, optional R2_REGION) and may override TLC_BASE_URL.
DEFAULT_TLC_BASE_URL = "https://d37ci6vzurychx.cloudfront.net/trip-data"
OBJECT_PREFIX = "nexus-tutorials/NYC"
ARTIFACT_KEY = "nyc-green-taxi-stats"
# Waits between attempts double each time: 10 s, 20 s, 40 s by default.
RETRY_DELAY_SECONDS = float(os.environ.get("TAXI_RETRY_DELAY_SECONDS", "10"))


def retry_unless_permanent(task: Task, task_run: TaskRun, state: State) -> bool:
    """Retry after network trouble, but not after a missing month or a broken file."""
    return is_worth_retrying(state.result(raise_on_failure=False))


# Shared by every task that talks to the network. NO_CACHE: each run must look at the world
# again rather than reuse an earlier answer, and the storage keys must not feed a cache key.
NETWORK_TASK_OPTIONS = dict(
    retries=3,
    retry_delay_seconds=exponential_backoff(backoff_factor=RETRY_DELAY_SECONDS),
    retry_condition_fn=retry_unless_permanent,
    cache_policy=NO_CACHE,
)


@task(**NETWORK_TASK_OPTIONS, task_run_name="check-published-{trip_file.label}")
def check_published(trip_file: TripFile, url: str) -> int | None:
    """Make sure the TLC publishes this month; return the file's size in bytes."""
    size = source.published_size(url)
    shown = f"{size:,} bytes" if size is not None else "size not announced"
    get_run_logger().info("%s is published (%s)", url, shown)
    return size


@task(**NETWORK_TASK_OPTIONS, task_run_name="find-stored-{trip_file.label}")
def find_stored_size(trip_file: TripFile, settings: StorageSettings, key: str) -> int | None:
    """Size of the object already in the bucket for this month, or None."""
    return storage.stored_size(storage.connect(settings), settings.bucket, key)


@task(**NETWORK_TASK_OPTIONS, task_run_name="download-{trip_file.label}")
def download_month(trip_file: TripFile, url: str, folder: Path) -> Path:
    """Stream one month's file to a local folder and check it is parquet."""
    path = folder / trip_file.name
    size = source.download(url, path)
    get_run_logger().info("Downloaded %s (%s bytes) to %s", url, f"{size:,}", path)
    return path


@task(**NETWORK_TASK_OPTIONS, task_run_name="upload-{trip_file.label}")
def upload_month(trip_file: TripFile, settings: StorageSettings, path: Path, key: str) -> None:
    """Upload one month's file to the bucket."""
    storage.upload(storage.connect(settings), path, settings.bucket, key)
    get_run_logger().info("Uploaded %s to %s", path.name, object_url(settings.bucket, key))


@task(**NETWORK_TASK_OPTIONS)
def compute_statistics(settings: StorageSettings, keys: dict[TripFile, str]) -> TripStatistics:
    """Let DuckDB read this run's objects straight from the bucket and aggregate them."""
    connection, httpfs_origin = duckdb_s3.connect(settings)
    get_run_logger().info("DuckDB loaded httpfs from the %s", httpfs_origin)
    with connection:
        urls = {trip_file: object_url(settings.bucket, key) for trip_file, key in keys.items()}
        return summarize(connection, urls)


@task(cache_policy=NO_CACHE)
def publish_report(stats: TripStatistics, where: str) -> None:
    """Show the statistics in the run log and as a table on the flow run's page."""
    print(report_text(stats, where))
    create_table_artifact(
        key=ARTIFACT_KEY,
        table=report_rows(stats),
        description=f"NYC Green Taxi trips in {', '.join(stats.trips_per_month)} from {where}",
    )


@flow(name="nyc-green-taxi-pipeline", log_prints=True)
def nyc_green_taxi_pipeline(
    months: list[str] = ["01", "02"],
    year: int = 2025,
    force: bool = False,
) -> TripStatistics:
    """Copy NYC Green Taxi months into the bucket and report statistics over exactly them."""
    # Mistakes in the parameters or the settings fail here, before any request.
    trip_files = plan_trip_files(months, year)
    settings = StorageSettings.from_environment()

    base_url = os.environ.get("TLC_BASE_URL", DEFAULT_TLC_BASE_URL).rstrip("/")
    urls = {trip_file: f"{base_url}/{trip_file.name}" for trip_file in trip_files}
    keys = {trip_file: f"{OBJECT_PREFIX}/{trip_file.name}" for trip_file in trip_files}
    destination = object_url(settings.bucket, OBJECT_PREFIX) + "/"
    print(f"Months {[f.label for f in trip_files]} from {base_url} to {destination}, force={force}")

    # All months must exist at the source before the first byte moves.
    sizes = {trip_file: check_published(trip_file, urls[trip_file]) for trip_file in trip_files}

    with TemporaryDirectory(prefix="nyc-green-taxi-") as folder:
        for trip_file in trip_files:
            stored = find_stored_size(trip_file, settings, keys[trip_file])
            if stored is not None and stored == sizes[trip_file] and not force:
                print(f"{trip_file.label}: the bucket already holds it ({stored:,} bytes), skipped")
                continue

            path = download_month(trip_file, urls[trip_file], Path(folder))
            upload_month(trip_file, settings, path, keys[trip_file])
            path.unlink()

    stats = compute_statistics(settings, keys)
    publish_report(stats, where=destination)
    return stats


if __name__ == "__main__":
    nyc_green_taxi_pipeline()
