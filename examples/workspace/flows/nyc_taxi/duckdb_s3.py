"""A DuckDB connection that reads straight from the bucket, without downloading anything else."""

from __future__ import annotations

from importlib import resources
from importlib.util import find_spec
from pathlib import Path

import duckdb

from nyc_taxi.settings import StorageSettings


class DuckDBSetupError(RuntimeError):
    """DuckDB could not be prepared to read from the bucket."""


def connect(settings: StorageSettings) -> tuple[duckdb.DuckDBPyConnection, str]:
    """An in-memory connection with httpfs loaded and the bucket's credentials in a secret.

    Returns the connection and where httpfs came from, for the log.
    """
    connection = duckdb.connect()
    origin = _load_httpfs(connection)
    try:
        connection.execute(_secret_statement(settings))
    except duckdb.Error:
        # DuckDB quotes the failing statement in its message, and this one holds the secret key.
        raise DuckDBSetupError(
            "DuckDB rejected the storage secret built from R2_ENDPOINT, R2_REGION and the keys. "
            f"Check R2_ENDPOINT ({settings.endpoint}) is a plain URL without a path."
        ) from None
    return connection, origin


def bundled_httpfs() -> Path | None:
    """The httpfs build shipped by the `duckdb-extension-httpfs` package, if it fits this DuckDB."""
    if find_spec("duckdb_extension_httpfs") is None:
        return None
    # The package holds extensions/v<duckdb version>/httpfs.duckdb_extension and no code.
    package = Path(str(resources.files("duckdb_extension_httpfs")))
    candidate = package / "extensions" / f"v{duckdb.__version__}" / "httpfs.duckdb_extension"
    return candidate if candidate.is_file() else None


def _load_httpfs(connection: duckdb.DuckDBPyConnection) -> str:
    bundled = bundled_httpfs()
    try:
        if bundled is not None:
            connection.execute(f"LOAD {_quote(str(bundled))}")
            return f"bundled file {bundled}"
        # Without the package, DuckDB downloads httpfs from its extension repository.
        connection.execute("INSTALL httpfs")
        connection.execute("LOAD httpfs")
        return "DuckDB extension repository"
    except duckdb.Error as error:
        raise DuckDBSetupError(
            f"DuckDB {duckdb.__version__} could not load its httpfs extension "
            f"(bundled file: {bundled}). Install duckdb-extension-httpfs=={duckdb.__version__} "
            "from requirements.txt, or allow downloads from extensions.duckdb.org."
        ) from error


def _secret_statement(settings: StorageSettings) -> str:
    return (
        "CREATE OR REPLACE TEMPORARY SECRET workspace_bucket ("
        " TYPE s3,"
        f" KEY_ID {_quote(settings.access_key)},"
        f" SECRET {_quote(settings.secret_key)},"
        f" ENDPOINT {_quote(settings.endpoint_host)},"
        " URL_STYLE 'path',"
        f" USE_SSL {'true' if settings.uses_tls else 'false'},"
        f" REGION {_quote(settings.region)}"
        ")"
    )


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
