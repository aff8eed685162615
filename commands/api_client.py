"""A small synchronous client of the priorauth HTTP API, for the `priorauth case` commands.

Where to talk to and as whom come from the environment: `PRIORAUTH_API_URL` (default
`http://127.0.0.1:8000`) and `PRIORAUTH_API_KEY` (default: the documented dev case-manager key,
which works only against a dev server).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_URL = "http://127.0.0.1:8000"
DEV_KEY = "dev-case-manager-key"
TIMEOUT_SECONDS = 60.0


class ClientSettings(BaseSettings):
    """`PRIORAUTH_API_URL` and `PRIORAUTH_API_KEY` (kept apart from the server's Settings)."""

    model_config = SettingsConfigDict(env_prefix="PRIORAUTH_", env_file=".env", extra="ignore")

    api_url: str = DEFAULT_URL
    api_key: str = DEV_KEY


@dataclass
class ApiError(Exception):
    """A 4xx/5xx answer: the status, the API's summary and one line per field error."""

    status: int
    detail: str
    field_errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"HTTP {self.status}: {self.detail}"

    @property
    def is_client_error(self) -> bool:
        return 400 <= self.status < 500


class ApiClient:
    """Thin wrapper over httpx: JSON in, JSON out, errors as `ApiError`."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        settings = ClientSettings()
        self._http = httpx.Client(
            base_url=(base_url or settings.api_url).rstrip("/"),
            headers={"X-API-Key": api_key or settings.api_key},
            timeout=TIMEOUT_SECONDS,
            transport=transport,
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        try:
            response = self._http.request(
                method, path, json=json, params=_clean(params), headers=headers
            )
        except httpx.HTTPError as exc:
            raise ApiError(0, f"cannot reach the API at {self._http.base_url}: {exc}") from None
        if response.status_code >= 400:
            raise _error(response)
        if not response.content:
            return None
        if response.headers.get("content-type", "").startswith("application/"):
            try:
                return response.json()
            except ValueError:
                return response.content
        return response.text

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any, *, idempotency_key: str | None = None) -> Any:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self.request("POST", path, json=body, headers=headers)


def _clean(params: dict[str, Any] | None) -> dict[str, Any] | None:
    if params is None:
        return None
    return {key: value for key, value in params.items() if value is not None and value != []}


def _error(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        return ApiError(response.status_code, response.text or response.reason_phrase)
    if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome":
        issues = body.get("issue") or []
        lines = [
            f"{', '.join(i.get('expression') or ['(bundle)'])}: {i.get('diagnostics', '')}"
            for i in issues
        ]
        return ApiError(response.status_code, "refused (OperationOutcome)", lines)
    detail = str(body.get("detail", body)) if isinstance(body, dict) else str(body)
    errors = body.get("errors") or [] if isinstance(body, dict) else []
    lines = [f"{e.get('field')}: {e.get('message')}" for e in errors if isinstance(e, dict)]
    return ApiError(response.status_code, detail, lines)
