"""A cheap look at a file's frame to tell a parquet file from an error page or a cut-off body."""

from __future__ import annotations

import os
from pathlib import Path

from nyc_taxi.errors import PermanentError

MAGIC = b"PAR1"
# A parquet file is: magic, column data, footer, 4-byte little-endian footer length, magic.
FRAME_BYTES = len(MAGIC) + 4 + len(MAGIC)


class NotParquetError(PermanentError):
    """The downloaded body is not a complete parquet file."""


def ensure_parquet(path: Path, origin: str) -> None:
    """Raise `NotParquetError` unless `path` starts and ends like a parquet file."""
    size = path.stat().st_size
    if size < FRAME_BYTES:
        _reject(origin, size, "it is too small to be parquet")

    with path.open("rb") as file:
        head = file.read(len(MAGIC))
        file.seek(-FRAME_BYTES + len(MAGIC), os.SEEK_END)
        footer_length = int.from_bytes(file.read(4), "little")
        tail = file.read(len(MAGIC))

    if head != MAGIC:
        _reject(origin, size, f"it starts with {head!r} instead of {MAGIC!r}")
    if tail != MAGIC:
        _reject(origin, size, f"it ends with {tail!r} instead of {MAGIC!r} (cut off?)")
    if not 0 < footer_length <= size - FRAME_BYTES:
        _reject(origin, size, f"its footer claims {footer_length:,} bytes")


def _reject(origin: str, size: int, reason: str) -> None:
    raise NotParquetError(
        f"{origin} did not deliver a parquet file ({size:,} bytes): {reason}. "
        "Open the URL in a browser to see what the server sends."
    )
