"""Temporal connection settings: TLS / mTLS files and the API key become `Client.connect`
arguments; incomplete or unreadable TLS settings fail when the settings load, naming the
variable."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from config.settings import Settings
from config.temporal import connect_options
from tests.tls_fixtures import SERVER_NAME, Pki, make_pki


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path)


def _settings(**values: object) -> Settings:
    return Settings(environment="test", **values)  # type: ignore[arg-type]


def test_by_default_the_client_connects_in_plaintext_without_an_api_key() -> None:
    options = connect_options(_settings(temporal_namespace="cases"))
    assert options == {"namespace": "cases", "tls": None, "api_key": None}


def test_mtls_settings_become_the_sdk_tls_config(pki: Pki) -> None:
    options = connect_options(
        _settings(
            temporal_tls=True,
            temporal_tls_server_ca_cert=pki.ca_cert,
            temporal_tls_client_cert=pki.client_cert,
            temporal_tls_client_key=pki.client_key,
            temporal_tls_server_name=SERVER_NAME,
        )
    )
    tls = options["tls"]
    assert tls.server_root_ca_cert == pki.ca_cert.read_bytes()
    assert tls.client_cert == pki.client_cert.read_bytes()
    assert tls.client_private_key == pki.client_key.read_bytes()
    assert tls.domain == SERVER_NAME


def test_tls_alone_trusts_the_system_roots() -> None:
    tls = connect_options(_settings(temporal_tls=True))["tls"]
    assert (tls.server_root_ca_cert, tls.client_cert, tls.domain) == (None, None, None)


def test_an_api_key_is_passed_and_hidden_from_the_settings_repr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PRIORAUTH_TEMPORAL_API_KEY", "tcld-key-123")
    settings = _settings()
    assert "tcld-key-123" not in repr(settings)
    options = connect_options(settings)
    # tls None: the SDK turns TLS on because an API key is set.
    assert (options["api_key"], options["tls"]) == ("tcld-key-123", None)


def test_a_client_certificate_without_its_key_is_refused(pki: Pki) -> None:
    with pytest.raises(ValidationError) as caught:
        _settings(temporal_tls=True, temporal_tls_client_cert=pki.client_cert)
    assert (
        "PRIORAUTH_TEMPORAL_TLS_CLIENT_CERT is set without PRIORAUTH_TEMPORAL_TLS_CLIENT_KEY"
        in str(caught.value)
    )


def test_a_client_key_without_its_certificate_is_refused(pki: Pki) -> None:
    with pytest.raises(ValidationError, match=r"CLIENT_KEY is set without .*CLIENT_CERT"):
        _settings(temporal_tls=True, temporal_tls_client_key=pki.client_key)


def test_tls_files_without_tls_switched_on_are_refused(pki: Pki) -> None:
    with pytest.raises(ValidationError, match="SERVER_CA_CERT is set but PRIORAUTH_TEMPORAL_TLS"):
        _settings(temporal_tls_server_ca_cert=pki.ca_cert)


def test_an_unreadable_certificate_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.pem"
    with pytest.raises(ValidationError) as caught:
        _settings(temporal_tls=True, temporal_tls_server_ca_cert=missing)
    assert "PRIORAUTH_TEMPORAL_TLS_SERVER_CA_CERT: cannot read" in str(caught.value)
    assert "No such file" in str(caught.value)


def test_a_file_that_is_not_pem_is_named(tmp_path: Path, pki: Pki) -> None:
    junk = tmp_path / "key.txt"
    junk.write_text("not a key")
    with pytest.raises(ValidationError, match=r"CLIENT_KEY: .* is not a PEM file"):
        _settings(
            temporal_tls=True,
            temporal_tls_client_cert=pki.client_cert,
            temporal_tls_client_key=junk,
        )
