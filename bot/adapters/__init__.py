"""Outbound adapters: the only code that talks to systems outside the process.

Each module or package wraps one client library (`kube`: the official ``kubernetes`` client;
`argocd`: httpx against Argo CD's REST API; the others: Redis, Slack, a remote classifier and its
readiness probe), implements a `bot.ports` protocol, and translates every client exception into
a `bot.errors` type with the cause chained. Only `bot.wiring` imports this package (enforced by
import-linter), so the service and delivery layers can be tested against in-memory fakes.
"""
