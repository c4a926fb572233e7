"""The statistics computed a second way, from the local files, to check the flow against."""

from __future__ import annotations

from pathlib import Path

import duckdb


def expected_statistics(folder: Path, year: int, months: list[str]) -> dict:
    """Figures over the local monthly files, one month at a time, then combined in Python."""
    per_month = {}
    sums = {"distance": 0.0, "amount": 0.0, "passengers": 0.0, "with_passengers": 0}
    pickups = []
    outside = 0
    by_type = {"street-hail": 0, "dispatch": 0, "unknown": 0}
    labels = {f"{year}-{month}" for month in months}

    for month in months:
        path = folder / f"green_tripdata_{year}-{month}.parquet"
        table = duckdb.read_parquet(str(path))
        rows = table.select(
            "lpep_pickup_datetime, trip_distance, total_amount, passenger_count, trip_type"
        ).fetchall()
        per_month[f"{year}-{month}"] = len(rows)

        for pickup, distance, amount, passengers, trip_type in rows:
            sums["distance"] += distance
            sums["amount"] += amount
            if passengers is not None:
                sums["passengers"] += passengers
                sums["with_passengers"] += 1
            pickups.append(pickup)
            outside += pickup.strftime("%Y-%m") not in labels
            kind = {1: "street-hail", 2: "dispatch"}.get(trip_type, "unknown")
            by_type[kind] += 1

    total = sum(per_month.values())
    return {
        "trips_per_month": per_month,
        "total_trips": total,
        "average_trip_distance": sums["distance"] / total,
        "average_total_amount": sums["amount"] / total,
        "average_passenger_count": sums["passengers"] / sums["with_passengers"],
        "first_pickup": min(pickups).date(),
        "last_pickup": max(pickups).date(),
        "pickups_outside_months": outside,
        "trips_by_type": by_type,
    }
