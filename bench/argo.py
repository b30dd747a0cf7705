"""Benchmark: Argo CD ``managed-resources`` requests from T threads, through each transport.

What a scan spends per diff before it classifies anything: the request, the answer read and its
JSON decoded. Against a realistic fleet (`scenarios.fleet`, 25 ms per request), the same
requests, R rounds, the order rotated each round (this shared machine's speed drifts), medians:

* ``urllib3``: the client as it is (`ArgoClient`, its default `Urllib3Transport`);
* ``httpx pool``: the same client through an ``httpx.Client`` with httpx's own connection pool
  (httpcore), what it used before: the naive baseline;
* floor: the same requests, raw ``http.client`` keep-alive connections, bodies read, not parsed.

CPU is this process's (every thread). ``--threads`` is the scan's ``DRIFT_CONCURRENCY``.
"""

from __future__ import annotations

import argparse
import http.client
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from urllib.parse import urlsplit

import _support
import httpx

from bot.adapters.argocd import ArgoClient
from bot.adapters.argocd.transport import Urllib3Transport
from bot.simulator import scenarios
from bot.wiring import build_service, tune_gc

App = tuple[str, str]  # (name, app namespace)


class _HttpxPool(httpx.BaseTransport):
    """The baseline: each request through an ``httpx.Client`` and its httpcore pool."""

    def __init__(self, connections: int) -> None:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self._client = httpx.Client(limits=limits, timeout=10.0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._client.send(request)

    def close(self) -> None:
        self._client.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    tune_gc()
    build = partial(scenarios.fleet, apps=args.apps, drifting=args.apps // 10, now=_support.NOW)
    with _support.simulator(build, args.latency_ms, "subprocess") as sim, _support.workdir() as tmp:
        settings = _support.settings_for(sim, tmp, concurrency=args.threads)
        service = build_service(settings, clock=lambda: _support.NOW)
        try:
            report = service.scan()  # warms the simulator's caches, names the drifting apps
        finally:
            service.close()
        names = sorted({f.app for f in report.findings})
        apps = [_app(name) for name in names]
        work = (apps * (args.requests // len(apps) + 1))[: args.requests]
        connections = max(32, args.threads)

        def through(transport: Callable[[], httpx.BaseTransport]) -> Callable[[], None]:
            def run() -> None:
                client = ArgoClient(sim.argocd_url, _support.TOKEN, transport=transport())
                _in_threads(args.threads, work, lambda app: client.managed_resources(*app))
                client.close()

            return run

        # What `ArgoClient` builds when given no transport, with the baseline's pool size.
        ours = partial(Urllib3Transport, sim.argocd_url, max_connections=connections)
        variants: dict[str, Callable[[], None]] = {
            "urllib3": through(ours),
            "httpx pool": through(lambda: _HttpxPool(connections)),
            "floor": lambda: _raw(sim.argocd_url, work, args.threads),
        }
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
        for round_ in range(args.rounds):
            names_now = list(variants)
            shift = round_ % len(names_now)
            for name in names_now[shift:] + names_now[:shift]:
                results[name].append(_measure(variants[name]))

    median = {name: _median(runs) for name, runs in results.items()}
    n = len(work)
    print(f"fleet        {args.apps} apps, {len(apps)} drifting, {args.latency_ms:g} ms/request")
    print(f"requests     {n} managed-resources GETs, {args.threads} threads, {args.rounds} rounds")
    print(f"{'':12} {'wall s':>8} {'CPU ms/request':>15}")
    for name, (wall, cpu) in median.items():
        print(f"{name:12} {wall:8.2f} {cpu / n * 1000:15.3f}")
    ours, naive, floor = median["urllib3"], median["httpx pool"], median["floor"]
    print(
        f"ratio        CPU {naive[1] / ours[1]:.2f}x less than the httpx pool, "
        f"{ours[1] / floor[1]:.2f}x the floor's; wall {ours[0] / floor[0]:.2f}x the floor"
    )
    print(
        f"SUMMARY argo apps={args.apps} threads={args.threads} requests={n} "
        f"urllib3_wall_s={ours[0]:.2f} urllib3_cpu_ms={ours[1] / n * 1000:.3f} "
        f"httpx_wall_s={naive[0]:.2f} httpx_cpu_ms={naive[1] / n * 1000:.3f} "
        f"floor_wall_s={floor[0]:.2f} floor_cpu_ms={floor[1] / n * 1000:.3f}"
    )
    return 0


def _app(tracking_name: str) -> App:
    namespace, _, name = tracking_name.rpartition("_")
    return name, namespace or "argocd"


def _in_threads(threads: int, work: Sequence[App], call: Callable[[App], object]) -> None:
    with ThreadPoolExecutor(threads) as pool:
        for _ in pool.map(call, work):
            pass


def _raw(url: str, work: Sequence[App], threads: int) -> None:
    """The floor: every request over keep-alive ``http.client`` connections, one per thread."""
    parts = urlsplit(url)
    local = threading.local()
    headers = {"Authorization": f"Bearer {_support.TOKEN}", "Accept": "application/json"}

    def get(app: App) -> None:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection(parts.hostname or "", parts.port)
        name, namespace = app
        path = f"/api/v1/applications/{name}/managed-resources?appNamespace={namespace}"
        conn.request("GET", path, headers=headers)
        conn.getresponse().read()

    _in_threads(threads, work, get)


def _measure(run: Callable[[], None]) -> tuple[float, float]:
    _, wall_s, cpu_s = _support.timed_with_cpu(run)
    return wall_s, cpu_s


def _median(runs: list[tuple[float, float]]) -> tuple[float, float]:
    walls, cpus = sorted(r[0] for r in runs), sorted(r[1] for r in runs)
    return walls[len(walls) // 2], cpus[len(cpus) // 2]


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--apps", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=25.0, help="per request")
    parser.add_argument("--threads", type=int, default=16, help="as DRIFT_CONCURRENCY")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=6)
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
