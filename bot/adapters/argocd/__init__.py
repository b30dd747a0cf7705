"""Argo CD REST client: one of the two packages importing httpx.

One pooled, thread-safe client serves every scan thread, with timeouts always on: httpx's
request and response types over a urllib3 connection pool (`transport` says why).
Retries cover only what an overloaded or restarting argocd-server (or its ingress) answers:
429, 502/503/504 and timeouts, waiting the server's ``Retry-After`` when it sends one. A 4xx
means the request itself is wrong (token, name, role), so repeating it cannot help and would
only delay the error a person has to read.

Retries alone do not bound a scan: with Argo CD down, every one of a thousand apps would wait
out its own timeouts. A circuit breaker shared by all threads (`_Breaker`) stops calling after a
few requests in a row got no answer (timeouts, refused connections, 429/502/503/504 after their
retries) and fails the rest at once for a while, so "Argo CD is down" costs one round of
timeouts, not one per app. Any answer, even a 500 for one app, proves the server is up.

Argo CD answers errors gRPC-style, ``{"error", "code", "message"}``, and hides whether an app
exists: a missing app and one the token may not see are both 403/7. The not-found message says
both, because the bot cannot tell which. Text quoted from an answer into an error message is
redacted first (an error may echo a repo URL with its password), and a malformed JSON body is
described, never quoted: it may carry live objects, Secrets included.
"""

from bot.adapters.argocd.answers import SERVER_SETTING, SOURCE, TOKEN_SETTING, classify_error
from bot.adapters.argocd.client import ArgoClient

__all__ = ["SERVER_SETTING", "SOURCE", "TOKEN_SETTING", "ArgoClient", "classify_error"]
