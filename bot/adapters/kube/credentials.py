"""Where the Kubernetes credentials come from, in the order a newcomer expects from kubectl.

``KUBECONFIG`` when set (several files joined with ``:`` are merged, missing ones skipped, as
kubectl does); else the pod's service account (the normal case: the bot runs next to Argo CD);
else ``~/.kube/config`` (a laptop). ``--context`` / ``DRIFT_KUBE_CONTEXT`` picks a context of
the kubeconfig. Every failure is a `ConfigError` that says which of these was tried and what
fixes it; the client library's own words ("Invalid kube-config file. No configuration found.")
only appear as a detail.
"""

from __future__ import annotations

import os
from pathlib import Path

import kubernetes.client
import kubernetes.config
import yaml
from kubernetes.config.config_exception import ConfigException

from bot.adapters.kube.answers import excerpt
from bot.errors import ConfigError

_FIX = "Set KUBECONFIG to a kubeconfig file, or run the bot as a pod with a service account."


def load_client(
    kubeconfig: str | None,
    context: str | None,
    configuration: kubernetes.client.Configuration,
    *,
    home: Path | None = None,
) -> kubernetes.client.ApiClient:
    """An API client for the first credentials found (module docstring); `ConfigError` if none."""
    if kubeconfig:
        files = [part for part in kubeconfig.split(os.pathsep) if part]
        if not any(Path(part).expanduser().is_file() for part in files):
            missing = "the file does not exist" if len(files) < 2 else "none of the files exists"
            msg = (
                f"KUBECONFIG={kubeconfig}: {missing}. Point KUBECONFIG at a kubeconfig file, "
                "or unset it to use the pod's service account or ~/.kube/config."
            )
            raise ConfigError(msg)
        _from_file(kubeconfig, f"KUBECONFIG={kubeconfig}", context, configuration)
        return kubernetes.client.ApiClient(configuration)
    try:
        # The config loaders carry no annotations, hence the ignores.
        kubernetes.config.load_incluster_config(  # type: ignore[no-untyped-call]
            client_configuration=configuration
        )
    except ConfigException as in_cluster:
        default = (home or Path.home()) / ".kube" / "config"
        if not default.is_file():
            msg = (
                "no Kubernetes credentials: KUBECONFIG is unset, this is not a pod with a service "
                f"account ({excerpt(str(in_cluster))}), and {default} does not exist. {_FIX}"
            )
            raise ConfigError(msg) from in_cluster
        _from_file(str(default), str(default), context, configuration)
    except (OSError, ValueError) as exc:
        msg = f"cannot load the pod's service-account credentials: {excerpt(str(exc))}. {_FIX}"
        raise ConfigError(msg) from exc
    return kubernetes.client.ApiClient(configuration)


def _from_file(
    path: str,
    where: str,
    context: str | None,
    configuration: kubernetes.client.Configuration,
) -> None:
    try:
        kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=path,
            context=context,
            client_configuration=configuration,
            persist_config=False,
        )
    except (ConfigException, OSError, ValueError, yaml.YAMLError) as exc:
        detail = excerpt(str(exc))
        if context and context in detail:
            msg = (
                f"{where} has no context {context!r} (from --context or DRIFT_KUBE_CONTEXT); "
                "`kubectl config get-contexts` lists them."
            )
            raise ConfigError(msg) from exc
        msg = f"cannot load Kubernetes credentials from {where}: {detail}. {_FIX}"
        raise ConfigError(msg) from exc
