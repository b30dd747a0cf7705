"""Deep links into the Argo CD UI for the "Open in Argo CD" buttons (pure).

DESIGN.md §5: an app is ``{ARGOCD_URL}/applications/{appNamespace}/{name}`` and one resource
adds ``?node={group}/{kind}/{namespace}/{name}/0&tab=diff``, which opens that resource's diff
tab (the trailing ``0`` is the node's revision index in the UI's resource tree). Findings name
apps by their tracking name, ``name`` in the control-plane namespace and ``ns_name`` for apps
in other namespaces (Argo CD's "apps in any namespace"); the UI wants the namespace and the
name apart. Every part is percent-encoded: cluster text never reaches the URL raw. Slack caps
a button URL at 3000 characters; a longer one gets no button.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

from bot.core.model import ResourceKey

MAX_URL_CHARS: Final = 3000


@dataclass(frozen=True, slots=True)
class ArgoLinks:
    """Builds UI links; ``base`` None (neither ARGOCD_URL nor ARGOCD_SERVER set) builds none."""

    base: str | None
    control_plane_namespace: str = "argocd"

    def app(self, tracking_name: str) -> str | None:
        """The app's page in the Argo CD UI."""
        if not self.base:
            return None
        namespace, name = self.split(tracking_name)
        url = f"{self.base.rstrip('/')}/applications/{_part(namespace)}/{_part(name)}"
        return url if len(url) <= MAX_URL_CHARS else None

    def resource(self, tracking_name: str, key: ResourceKey) -> str | None:
        """The app's page with one resource's diff tab open."""
        app = self.app(tracking_name)
        if app is None:
            return None
        node = "/".join(_part(p) for p in (key.group, key.kind, key.namespace, key.name))
        url = f"{app}?node={node}/0&tab=diff"
        return url if len(url) <= MAX_URL_CHARS else None

    def split(self, tracking_name: str) -> tuple[str, str]:
        """``ns_name`` → (ns, name); a plain name lives in the control-plane namespace.

        Kubernetes names cannot contain ``_``, so the first one is the separator.
        """
        namespace, sep, name = tracking_name.partition("_")
        if sep and namespace and name:
            return namespace, name
        return self.control_plane_namespace, tracking_name


def _part(text: str) -> str:
    return quote(text, safe="")
