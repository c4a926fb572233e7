"""Object-storage settings, read from the worker's environment and checked all at once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

REQUIRED_VARIABLES = ("R2_ENDPOINT", "R2_ACCESS_KEY", "R2_SECRET_KEY", "R2_BUCKET")
DEFAULT_REGION = "auto"


class MissingSettingsError(RuntimeError):
    """The worker's environment lacks (or garbles) the object-storage settings."""


@dataclass(frozen=True)
class StorageSettings:
    """Where the trip files go. The credentials are left out of `repr` so they never get logged."""

    endpoint: str
    bucket: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    region: str = DEFAULT_REGION

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> StorageSettings:
        """Read `R2_*` variables; every missing or malformed one is named in a single error."""
        values = {name: environ.get(name, "").strip() for name in REQUIRED_VARIABLES}
        problems = [f"{name} is not set" for name, value in values.items() if not value]

        endpoint = values["R2_ENDPOINT"]
        if endpoint and urlsplit(endpoint).scheme not in ("http", "https"):
            problems.append(f"R2_ENDPOINT {endpoint!r} is not an http(s) URL")

        if problems:
            raise MissingSettingsError(
                "Object storage is not configured: " + "; ".join(problems) + ". "
                "Set them in the worker's environment, for example "
                "R2_ENDPOINT=https://<account-id>.r2.cloudflarestorage.com and R2_BUCKET=<bucket>."
            )

        return cls(
            endpoint=endpoint.rstrip("/"),
            bucket=values["R2_BUCKET"],
            access_key=values["R2_ACCESS_KEY"],
            secret_key=values["R2_SECRET_KEY"],
            region=environ.get("R2_REGION", "").strip() or DEFAULT_REGION,
        )

    @property
    def endpoint_host(self) -> str:
        """Host and port of the endpoint, the form DuckDB expects."""
        return urlsplit(self.endpoint).netloc

    @property
    def uses_tls(self) -> bool:
        return urlsplit(self.endpoint).scheme == "https"
