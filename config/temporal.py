"""Temporal client plumbing: the one data converter, the AES-GCM payload codec, connecting.

`data_converter(settings)` is used by the API client, the worker, the replayer and the tests:
pydantic payloads, encrypted with AES-GCM under a key id from `Settings.codec_keys` (so keys can
rotate: the newest encrypts, every listed key decrypts), and failures whose message and stack
trace travel as encoded attributes. Workflow ids, task queues, type names and search attributes
are not encrypted by Temporal: they must never hold PHI.

`connect(settings)` is how the API, the worker and the CLI reach Temporal: plaintext by default
(the dev server, a private compose network), TLS / mTLS and an API key for a managed cluster
(`Settings.temporal_tls*`, `Settings.temporal_api_key`).
"""

from __future__ import annotations

import base64
import dataclasses
import logging
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)
from temporalio.runtime import LogForwardingConfig, LoggingConfig, Runtime, TelemetryConfig
from temporalio.service import TLSConfig

from config.settings import Settings

ENCODING = b"binary/encrypted"
_NONCE_BYTES = 12

__all__ = [
    "AesGcmCodec",
    "connect",
    "connect_options",
    "data_converter",
    "parse_keys",
    "tls_config",
]


class CodecKeyError(ValueError):
    """A malformed key entry or an unknown key id (messages carry key ids only)."""


class UnencryptedPayloadError(ValueError):
    """A payload reached the codec's decode without its encryption (message: encoding only)."""


def parse_keys(entries: Iterable[str]) -> list[tuple[str, bytes]]:
    """`key-id:base64-32-bytes` entries, newest first, as (key id, key) pairs."""
    keys: list[tuple[str, bytes]] = []
    for entry in entries:
        key_id, sep, encoded = entry.partition(":")
        if not sep:
            raise CodecKeyError("codec key entries look like 'key-id:base64-32-bytes'")
        if not key_id.strip():
            raise CodecKeyError("a codec key entry has an empty key id ('key-id:base64-32-bytes')")
        if any(key_id.strip() == known for known, _ in keys):
            # Two keys under one id: a payload names its key by id, so one of them could never
            # decrypt what it encrypted.
            raise CodecKeyError(f"codec key id '{key_id.strip()}' is listed twice")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except ValueError as exc:
            raise CodecKeyError(f"codec key '{key_id}' is not valid base64") from exc
        if len(key) != 32:
            raise CodecKeyError(f"codec key '{key_id}' must be 32 bytes (AES-256)")
        keys.append((key_id.strip(), key))
    if not keys:
        raise CodecKeyError("at least one codec key is needed")
    return keys


class AesGcmCodec(PayloadCodec):
    """Encrypts every payload with AES-256-GCM; the key id travels in the payload metadata.

    Decoding refuses a payload that is not encrypted: whoever can write to the Temporal
    namespace (a CLI `signal --input`, a foreign client) must not inject plain data into a case.
    The SDK passes search attributes beside the codec, never through it.
    """

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise CodecKeyError("at least one codec key is needed")
        self._active_id, active = keys[0]
        self._active = AESGCM(active)
        self._keyring = {key_id: AESGCM(key) for key_id, key in keys}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for payload in payloads:
            nonce = os.urandom(_NONCE_BYTES)
            sealed = self._active.encrypt(nonce, payload.SerializeToString(), None)
            out.append(
                Payload(
                    metadata={
                        "encoding": ENCODING,
                        "encryption-key-id": self._active_id.encode(),
                    },
                    data=nonce + sealed,
                )
            )
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for payload in payloads:
            encoding = payload.metadata.get("encoding", b"")
            if encoding != ENCODING:
                shown = encoding.decode("utf-8", "replace")[:64] or "none"
                raise UnencryptedPayloadError(
                    f"refusing an unencrypted payload (encoding '{shown}'): every payload must "
                    f"be encrypted by the priorauth codec ('{ENCODING.decode()}')"
                )
            key_id = payload.metadata.get("encryption-key-id", b"").decode()
            cipher = self._keyring.get(key_id)
            if cipher is None:
                raise CodecKeyError(f"unknown codec key id '{key_id}'")
            data = payload.data
            plain = cipher.decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], None)
            out.append(Payload.FromString(plain))
        return out


def _dev_keys(settings: Settings) -> list[str]:
    """A per-machine key file under data_dir, so dev worker and API agree across restarts."""
    path = Path(settings.data_dir) / "codec.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("dev-1:" + base64.b64encode(os.urandom(32)).decode() + "\n")
        path.chmod(0o600)
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def data_converter(
    settings: Settings | None = None, *, keys: Sequence[str] | None = None
) -> DataConverter:
    """The converter every client, worker and replayer uses (see the module docstring).

    Keys: `keys` if given (tests), else `settings.codec_keys`, else (dev/test only) a key file
    under `settings.data_dir`. Production settings refuse to start without codec keys.
    """
    entries = list(keys) if keys is not None else None
    if entries is None:
        settings = settings or Settings()
        entries = list(settings.codec_keys) or _dev_keys(settings)
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=AesGcmCodec(parse_keys(entries)),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def tls_config(settings: Settings) -> TLSConfig | None:
    """The TLS settings as the SDK's `TLSConfig` (PEM files read now), None when TLS is off.

    None leaves the SDK's default: TLS on exactly when an API key is set.
    """
    if not settings.temporal_tls:
        return None

    def read(path: Path | None) -> bytes | None:
        return path.read_bytes() if path is not None else None

    return TLSConfig(
        server_root_ca_cert=read(settings.temporal_tls_server_ca_cert),
        domain=settings.temporal_tls_server_name,
        client_cert=read(settings.temporal_tls_client_cert),
        client_private_key=read(settings.temporal_tls_client_key),
    )


def connect_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of `Client.connect` besides the address and the data converter."""
    api_key = settings.temporal_api_key
    return {
        "namespace": settings.temporal_namespace,
        "tls": tls_config(settings),
        "api_key": api_key.get_secret_value() if api_key is not None else None,
    }


# The core (Rust) SDK's warnings go to this Python logger instead of stderr, so they pass the
# redacting formatter like every other line (config/logging.py); levels stay Temporal's.
CORE_LOGGING = dataclasses.replace(
    LoggingConfig.default,
    forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
)
_runtime: Runtime | None = None


def core_runtime() -> Runtime:
    """The process's Temporal runtime (one per process), forwarding core log lines."""
    global _runtime
    if _runtime is None:
        _runtime = Runtime(telemetry=TelemetryConfig(logging=CORE_LOGGING))
    return _runtime


async def connect(settings: Settings, converter: DataConverter | None = None) -> Client:
    """A client for the API, the worker and the CLI: codec, TLS / mTLS and API key from settings."""
    return await Client.connect(
        settings.temporal_address,
        data_converter=converter or data_converter(settings),
        **connect_options(settings),
        runtime=core_runtime(),
    )


def exit_process(code: int = 0) -> NoReturn:
    """End a process that used a Temporal client, skipping interpreter finalization.

    The client's Rust threads can call into Python while the interpreter finalizes and abort it
    ("Fatal Python error: PyGILState_Release", temporalio/sdk-python#300): a finished command
    would print a crash. Logs and output are flushed first; nothing else needs the teardown.
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
