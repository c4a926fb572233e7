"""The helpers' edge cases that whole runs do not reach cheaply."""

from __future__ import annotations

from pathlib import Path

import pytest

from nyc_taxi import duckdb_s3
from nyc_taxi.parquet_check import NotParquetError, ensure_parquet
from nyc_taxi.settings import StorageSettings


def parquet_frame(footer_length: int) -> bytes:
    return b"PAR1" + b"\0" * 100 + footer_length.to_bytes(4, "little") + b"PAR1"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(b"<html>Access denied</html>", "starts with", id="error-page"),
        pytest.param(b"PAR1", "too small", id="magic-only"),
        pytest.param(parquet_frame(footer_length=10_000), "footer claims", id="footer-too-long"),
        pytest.param(parquet_frame(footer_length=0), "footer claims", id="no-footer"),
    ],
)
def test_bodies_that_are_not_complete_parquet_files_are_rejected(
    tmp_path: Path, body: bytes, reason: str
) -> None:
    path = tmp_path / "download.parquet"
    path.write_bytes(body)

    with pytest.raises(NotParquetError, match=reason):
        ensure_parquet(path, origin="https://example.test/file.parquet")


def test_a_real_monthly_file_passes_the_parquet_check(tlc_dir: Path) -> None:
    ensure_parquet(tlc_dir / "green_tripdata_2025-01.parquet", origin="local copy")


def test_httpfs_loads_from_the_installed_package_without_downloading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DuckDB would install downloaded extensions under ~/.duckdb.
    monkeypatch.setenv("HOME", str(tmp_path))
    settings = StorageSettings(
        endpoint="https://storage.example.test", bucket="b", access_key="a", secret_key="s"
    )

    connection, origin = duckdb_s3.connect(settings)

    loaded = connection.execute(
        "SELECT loaded FROM duckdb_extensions() WHERE extension_name = 'httpfs'"
    ).fetchone()
    assert loaded == (True,)
    assert origin == f"bundled file {duckdb_s3.bundled_httpfs()}"
    assert not (tmp_path / ".duckdb").exists()


def test_storage_settings_keep_the_credentials_out_of_their_repr() -> None:
    settings = StorageSettings.from_environment(
        {
            "R2_ENDPOINT": "https://account.r2.cloudflarestorage.com/",
            "R2_ACCESS_KEY": "access-key-id",
            "R2_SECRET_KEY": "secret-value",
            "R2_BUCKET": "tutorials",
        }
    )

    assert "secret-value" not in repr(settings) and "access-key-id" not in repr(settings)
    assert (settings.endpoint_host, settings.uses_tls, settings.region) == (
        "account.r2.cloudflarestorage.com",
        True,
        "auto",
    )
