"""ARGOCD_CA_FILE: trust Argo CD's own (self-signed) CA instead of turning TLS checks off."""

from __future__ import annotations

from pathlib import Path

import certifi
import pytest

from bot.adapters.argocd import ArgoClient
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


def test_a_pem_bundle_is_accepted() -> None:
    """A real PEM bundle (certifi's) builds a client that verifies against it."""
    settings = load_settings(
        argocd_server=SERVER, argocd_auth_token="t", argocd_ca_file=certifi.where()
    )
    ArgoClient.from_settings(settings).close()
