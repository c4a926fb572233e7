"""The statistics as people read them: a block for the log and rows for a table artifact."""

from __future__ import annotations

from nyc_taxi.statistics import TripStatistics


def report_rows(stats: TripStatistics) -> list[dict[str, str]]:
    """One metric per row, values formatted for reading."""
    rows = [(f"trips in {label}", f"{count:,}") for label, count in stats.trips_per_month.items()]
    rows += [
        ("trips in total", f"{stats.total_trips:,}"),
        ("average trip distance", f"{stats.average_trip_distance:.2f} miles"),
        ("average total amount", f"${stats.average_total_amount:.2f}"),
        ("average passenger count", _optional(stats.average_passenger_count)),
        ("first pickup", stats.first_pickup.isoformat()),
        ("last pickup", stats.last_pickup.isoformat()),
        ("pickups outside the requested months", f"{stats.pickups_outside_months:,}"),
    ]
    total = stats.total_trips
    rows += [(f"{kind} trips", _share(n, total)) for kind, n in stats.trips_by_type.items()]
    return [{"metric": metric, "value": value} for metric, value in rows]


def report_text(stats: TripStatistics, source: str) -> str:
    """An aligned, multi-line block for the run log."""
    rows = report_rows(stats)
    width = max(len(row["metric"]) for row in rows)
    lines = [f"NYC Green Taxi statistics for {source}"]
    lines += [f"  {row['metric']:<{width}}  {row['value']}" for row in rows]
    return "\n".join(lines)


def _optional(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _share(count: int, total: int) -> str:
    percent = 100 * count / total if total else 0.0
    return f"{count:,} ({percent:.1f}%)"
