"""Which monthly files a run works on, checked before anything is downloaded."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

# The TLC publishes Green Taxi records from August 2013 on.
FIRST_PUBLISHED_YEAR = 2013
MONTH_PATTERN = re.compile(r"(0[1-9]|1[0-2])")


class InvalidParametersError(ValueError):
    """The run's parameters name months or a year that cannot exist."""


@dataclass(frozen=True)
class TripFile:
    """One month of Green Taxi trips, named the way the TLC publishes it."""

    year: int
    month: str

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month}"

    @property
    def name(self) -> str:
        return f"green_tripdata_{self.year}-{self.month}.parquet"


def plan_trip_files(months: list[str], year: int, today: date | None = None) -> list[TripFile]:
    """Validate the parameters and return one `TripFile` per month, in the given order."""
    problems = [*_month_problems(months), *_year_problems(year, today or date.today())]
    if problems:
        raise InvalidParametersError(
            "The run's parameters are invalid: " + "; ".join(problems) + ". "
            'Pass months as two-digit strings, for example ["01", "02"].'
        )
    return [TripFile(year=year, month=month) for month in months]


def _month_problems(months: list[str]) -> list[str]:
    if not months:
        return ["months is empty, name at least one month"]

    problems = []
    malformed = [m for m in months if not (isinstance(m, str) and MONTH_PATTERN.fullmatch(m))]
    if malformed:
        problems.append(f"months {malformed!r} are not two-digit months 01 to 12")

    repeated = sorted(m for m, count in Counter(map(str, months)).items() if count > 1)
    if repeated:
        problems.append(f"months {repeated!r} appear more than once")
    return problems


def _year_problems(year: int, today: date) -> list[str]:
    if FIRST_PUBLISHED_YEAR <= year <= today.year:
        return []
    return [f"year {year} is outside {FIRST_PUBLISHED_YEAR} to {today.year}"]
