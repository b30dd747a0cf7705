"""Read-only Kubernetes access: the one package importing the ``kubernetes`` client.

Every read returns plain JSON, never the client's typed models: those rename fields to
snake_case and drop the fields of custom resources they do not know, while the core reads
objects exactly as the API server (and Argo CD's diff) spells them. Applications, Pods and CRDs
are given their `bot.core.raw` shape here (``raw.as_*``); objects of any kind stay `RawObject`.

Discovery (``/apis/{group}``) and the cluster-wide list of an arbitrary type have no generated
method, so `_get` builds those GETs with ``ApiClient.param_serialize`` + ``call_api``: they still
share the client's auth, TLS settings and connection pool. That pair is the request API of the
client's current generator (kubernetes >= 37).

Every failure leaves this module as a `bot.errors` type (`api_error`, `_translate`), so callers
never handle an ``ApiException`` or a urllib3 error. Text quoted from an answer into an error
message is redacted first, and a malformed JSON body is described, never quoted: a pod list
cut short still carries environment variables, Secrets' values among them.
"""

from bot.adapters.kube.answers import api_error
from bot.adapters.kube.objects import label_selector, owned_by
from bot.adapters.kube.reader import KubeReader

__all__ = ["KubeReader", "api_error", "label_selector", "owned_by"]
