"""The TLC's public trip-data site: asking for a file's size and streaming it to disk."""

from __future__ import annotations

from pathlib import Path

import httpx

from nyc_taxi.errors import PermanentError
from nyc_taxi.parquet_check import ensure_parquet

CHUNK_BYTES = 1024 * 1024
TIMEOUT = httpx.Timeout(60.0, connect=15.0)
# CloudFront answers 403 rather than 404 for a file that is not in its bucket.
NOT_PUBLISHED_STATUSES = {403, 404}
TRANSIENT_STATUSES = {408, 425, 429}


class SourceUnavailableError(Exception):
    """The source could not be reached or answered with a server error; worth another try."""


class SourceRejectedError(PermanentError):
    """The source answered in a way another attempt will not change."""


class MonthNotPublishedError(SourceRejectedError):
    """The TLC has not published this month (yet)."""


def published_size(url: str) -> int | None:
    """HEAD the file: its size in bytes, or None when the server does not say."""
    try:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=True) as client:
            response = client.head(url)
    except httpx.TransportError as error:
        raise SourceUnavailableError(
            f"HEAD {url} failed: {error!r}. Network trouble usually passes; the task retries it."
        ) from error

    _raise_for_status(response, url)
    length = response.headers.get("content-length")
    return int(length) if length and length.isdigit() else None


def download(url: str, destination: Path) -> int:
    """Stream the file to `destination` chunk by chunk, check it is parquet, return its size."""
    written = 0
    try:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=True) as client:
            with client.stream("GET", url) as response:
                _raise_for_status(response, url)
                expected = response.headers.get("content-length")
                with destination.open("wb") as file:
                    for chunk in response.iter_bytes(CHUNK_BYTES):
                        file.write(chunk)
                        written += len(chunk)
    except httpx.TransportError as error:
        raise SourceUnavailableError(
            f"GET {url} broke off after {written:,} bytes: {error!r}. The task retries it."
        ) from error

    if expected and expected.isdigit() and int(expected) != written:
        raise SourceUnavailableError(
            f"GET {url} announced {int(expected):,} bytes but delivered {written:,}. "
            "The task retries it."
        )
    ensure_parquet(destination, origin=url)
    return written


def _raise_for_status(response: httpx.Response, url: str) -> None:
    status = response.status_code
    if response.is_success:
        return
    if status in NOT_PUBLISHED_STATUSES:
        raise MonthNotPublishedError(
            f"{url} answered HTTP {status}: the TLC has not published this month. "
            "New months usually appear about two months after they end; pick an earlier one."
        )
    if status >= 500 or status in TRANSIENT_STATUSES:
        raise SourceUnavailableError(
            f"{url} answered HTTP {status}, a server-side failure that usually passes; "
            "the task retries it."
        )
    raise SourceRejectedError(
        f"{url} answered HTTP {status}. Check TLC_BASE_URL; the default is the TLC's own site."
    )
