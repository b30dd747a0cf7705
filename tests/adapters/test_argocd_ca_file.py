"""ARGOCD_CA_FILE: trust Argo CD's own (self-signed) CA instead of turning TLS checks off."""

from __future__ import annotations

import ssl
from pathlib import Path

import certifi
import pytest

from bot.adapters.argocd import ArgoClient
from bot.adapters.argocd import client as client_module
from bot.errors import ConfigError
from bot.settings import load_settings

SERVER = "https://argocd-server.argocd.svc"


def test_a_missing_ca_file_names_the_setting(tmp_path: Path) -> None:
    missing = tmp_path / "ca.crt"
    settings = load_settings(
        argocd_server=SERVER, argocd_auth_token="t", argocd_ca_file=str(missing)
    )
    with pytest.raises(ConfigError) as info:
        ArgoClient.from_settings(settings)
    assert str(info.value).startswith(f"ARGOCD_CA_FILE={missing}: cannot read a PEM CA bundle (")


def test_a_file_that_is_not_pem_names_the_setting(tmp_path: Path) -> None:
    junk = tmp_path / "ca.crt"
    junk.write_text("not a certificate\n", encoding="utf-8")
    settings = load_settings(argocd_server=SERVER, argocd_auth_token="t", argocd_ca_file=str(junk))
    with pytest.raises(ConfigError, match="ARGOCD_CA_FILE"):
        ArgoClient.from_settings(settings)


def test_a_pem_bundle_is_what_the_client_trusts() -> None:
    """A real PEM bundle (certifi's): verification stays on, against exactly those CAs."""
    settings = load_settings(
        argocd_server=SERVER, argocd_auth_token="t", argocd_ca_file=certifi.where()
    )
    context = client_module._verify(settings)
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    bundle = Path(certifi.where()).read_text(encoding="utf-8")
    assert context.cert_store_stats()["x509_ca"] == bundle.count("BEGIN CERTIFICATE")
    ArgoClient.from_settings(settings).close()


def test_insecure_wins_and_no_ca_file_means_the_system_store() -> None:
    insecure = load_settings(argocd_insecure=True, argocd_ca_file="/nonexistent")
    assert client_module._verify(insecure) is False
    assert client_module._verify(load_settings()) is True
