"""The S3-compatible bucket (Cloudflare R2 in production): object sizes and uploads."""

from __future__ import annotations

from pathlib import Path

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from nyc_taxi.errors import PermanentError
from nyc_taxi.settings import StorageSettings

MIB = 1024 * 1024
# Files above the threshold go up in parts, so a dropped connection costs one part, not the file.
TRANSFER = TransferConfig(multipart_threshold=64 * MIB, multipart_chunksize=16 * MIB)
NOT_FOUND_CODES = {"404", "NoSuchKey", "NotFound"}
REJECTED_CODES = {
    "403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "NoSuchBucket",
}


class StorageUnavailableError(Exception):
    """The bucket could not be reached or answered with a server error; worth another try."""


class StorageRejectedError(PermanentError):
    """The bucket refused the request: wrong credentials, wrong bucket or missing permission."""


def connect(settings: StorageSettings) -> BaseClient:
    """An S3 client for the configured endpoint."""
    config = Config(
        # R2 and local S3 servers have no per-bucket DNS names.
        s3={"addressing_style": "path"},
        # boto3 1.36+ adds CRC checksums to every request and checks them on every response by
        # default; R2 rejects some of those requests, so only send them where the API requires.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=15,
        read_timeout=60,
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=settings.endpoint,
        aws_access_key_id=settings.access_key,
        aws_secret_access_key=settings.secret_key,
        region_name=settings.region,
        config=config,
    )


def stored_size(client: BaseClient, bucket: str, key: str) -> int | None:
    """Size in bytes of the object at `key`, or None when there is none."""
    try:
        return client.head_object(Bucket=bucket, Key=key)["ContentLength"]
    except ClientError as error:
        if _error_code(error) in NOT_FOUND_CODES:
            return None
        raise _explain(error, f"HEAD s3://{bucket}/{key}") from error
    except BotoCoreError as error:
        raise _explain(error, f"HEAD s3://{bucket}/{key}") from error


def upload(client: BaseClient, path: Path, bucket: str, key: str) -> None:
    """Upload a local file to `key`, in parts when it is large."""
    try:
        client.upload_file(
            str(path),
            bucket,
            key,
            ExtraArgs={"ContentType": "application/vnd.apache.parquet"},
            Config=TRANSFER,
        )
    except (ClientError, BotoCoreError) as error:
        raise _explain(error, f"upload to s3://{bucket}/{key}") from error
    except S3UploadFailedError as error:
        # upload_file wraps the ClientError it got; classify by the original when there is one.
        cause = error.__cause__ or error.__context__
        raise _explain(cause or error, f"upload to s3://{bucket}/{key}") from error


def _explain(error: BaseException, action: str) -> Exception:
    code = _error_code(error)
    if code in REJECTED_CODES:
        return StorageRejectedError(
            f"The bucket refused the {action} ({code}). Check R2_BUCKET exists and that "
            "R2_ACCESS_KEY / R2_SECRET_KEY belong to a token with read and write access to it."
        )
    return StorageUnavailableError(f"The {action} failed: {error}. The task retries it.")


def _error_code(error: BaseException) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return ""
