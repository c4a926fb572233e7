"""Trip statistics over an explicit list of parquet objects, computed by DuckDB."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from nyc_taxi.trip_files import TripFile

# trip_type as the TLC's data dictionary defines it; anything else (mostly null) is unknown.
TRIP_TYPES = {1: "street-hail", 2: "dispatch"}

PER_FILE_SQL = """
SELECT filename, count(*)
FROM read_parquet($urls, filename = true, union_by_name = true)
GROUP BY filename
"""

OVERALL_SQL = """
SELECT
    count(*),
    avg(trip_distance),
    avg(total_amount),
    avg(passenger_count),
    min(lpep_pickup_datetime)::DATE,
    max(lpep_pickup_datetime)::DATE,
    count(*) FILTER (WHERE NOT list_contains($labels, strftime(lpep_pickup_datetime, '%Y-%m'))),
    count(*) FILTER (WHERE trip_type = 1),
    count(*) FILTER (WHERE trip_type = 2),
    count(*) FILTER (WHERE trip_type IS NULL OR trip_type NOT IN (1, 2))
FROM read_parquet($urls, union_by_name = true)
"""


class StatisticsError(RuntimeError):
    """DuckDB could not read the uploaded objects back from the bucket."""


@dataclass(frozen=True)
class TripStatistics:
    """What one run found in its monthly files."""

    trips_per_month: dict[str, int]
    total_trips: int
    average_trip_distance: float
    average_total_amount: float
    average_passenger_count: float | None
    first_pickup: date
    last_pickup: date
    pickups_outside_months: int
    trips_by_type: dict[str, int]


def object_url(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def summarize(
    connection: duckdb.DuckDBPyConnection, urls: dict[TripFile, str]
) -> TripStatistics:
    """Read exactly the objects in `urls` (never a wildcard) and aggregate them."""
    parameters = {"urls": list(urls.values())}
    labels = [trip_file.label for trip_file in urls]
    try:
        per_file = dict(connection.execute(PER_FILE_SQL, parameters).fetchall())
        row = connection.execute(OVERALL_SQL, {**parameters, "labels": labels}).fetchone()
    except duckdb.Error as error:
        raise StatisticsError(
            f"DuckDB could not read {', '.join(urls.values())}: {error}. "
            "Check the objects exist and the storage token may read them."
        ) from error
    (total, distance, amount, passengers, first, last, outside, *by_type) = row

    return TripStatistics(
        trips_per_month={f.label: per_file.get(url, 0) for f, url in urls.items()},
        total_trips=total,
        average_trip_distance=distance,
        average_total_amount=amount,
        average_passenger_count=passengers,
        first_pickup=first,
        last_pickup=last,
        pickups_outside_months=outside,
        trips_by_type=dict(zip([*TRIP_TYPES.values(), "unknown"], by_type)),
    )
