"""Install DuckDB's httpfs extension from the duckdb-extension-httpfs wheel and prove it loads.

DuckDB downloads extensions on first use; a worker that may run without internet access (or
behind a proxy that blocks extensions.duckdb.org) must have httpfs in DuckDB's extension
directory before a flow asks for it. The wheel carries the extension binary but does not
install it, so this script does: `INSTALL '<file>'` copies it to ~/.duckdb/extensions.
"""

from importlib.resources import files

import duckdb

# An unroutable repository makes any attempt to download an extension fail loudly.
OFFLINE = {
    "autoinstall_known_extensions": False,
    "custom_extension_repository": "http://127.0.0.1:9",
}


def extension_file() -> str:
    """Path of the httpfs binary shipped in the wheel for this DuckDB version."""
    path = files("duckdb_extension_httpfs") / "extensions" / f"v{duckdb.__version__}"
    path = path / "httpfs.duckdb_extension"
    if not path.is_file():
        raise SystemExit(
            f"duckdb-extension-httpfs has no extension for DuckDB {duckdb.__version__} at {path}; "
            "pin duckdb and duckdb-extension-httpfs to the same version"
        )
    return str(path)


def main() -> None:
    with duckdb.connect(config=OFFLINE) as con:
        con.execute(f"INSTALL '{extension_file()}'")

    with duckdb.connect(config=OFFLINE) as con:
        con.execute("LOAD httpfs")
        (loaded,) = con.execute(
            "SELECT loaded FROM duckdb_extensions() WHERE extension_name = 'httpfs'"
        ).fetchone()
    if not loaded:
        raise SystemExit("httpfs was installed but DuckDB does not report it as loaded")
    print(f"httpfs for DuckDB {duckdb.__version__} loads without a download")


if __name__ == "__main__":
    main()
