"""`Simulator`: the Kubernetes and Argo CD APIs of a `Scenario` on two loopback ports.

Two listeners because both APIs live under ``/api/v1/...``. Each is a `ThreadingHTTPServer`
speaking HTTP/1.1 keep-alive with Content-Length on every answer, so the real clients
(`kubernetes` over urllib3, httpx) pool connections as they would against real servers.
Every request is recorded before anything else happens (tests assert on them, e.g. "only
GETs"), then delayed by the configured latency, then possibly failed by an injected `Fault`.
"""

from __future__ import annotations

import random
import re
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import parse_qs, urlsplit

import yaml

from bot.core.model import RawObject
from bot.simulator.cluster.index import ClusterIndex
from bot.simulator.cluster.objects import gc_paused
from bot.simulator.http import responses
from bot.simulator.http import watch as watching
from bot.simulator.http.argocd_api import ArgoApi
from bot.simulator.http.faults import Fault, FaultBook
from bot.simulator.http.kube_api import ContinueTokens, KubeApi
from bot.simulator.http.responses import Response
from bot.simulator.scenarios.scenario import Scenario

_APIS: Final = ("kube", "argocd")
_STATUS_CODES: Final = frozenset(code.value for code in HTTPStatus)


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as the simulator received it."""

    api: str
    method: str
    path: str
    query: dict[str, list[str]]


class Simulator:
    """Serves ``scenario`` until stopped; use as a context manager or `start`/`stop`.

    Args:
        scenario: what the cluster holds; changes after `start` need `reload`.
        token: the Bearer token both APIs require.
        latency_ms: added before every answer.
        latency_jitter_ms: up to this much more, uniformly random (seeded by ``seed``).
        continue_ttl_s: age after which a list ``continue`` token answers 410 Gone.
    """

    def __init__(
        self,
        scenario: Scenario,
        token: str = "sim-token",  # noqa: S107 - the simulator's own fake credential
        latency_ms: float = 0.0,
        *,
        latency_jitter_ms: float = 0.0,
        continue_ttl_s: float = 300.0,
        seed: int = 0,
    ) -> None:
        self.scenario = scenario
        self.token = token
        self.latency_ms = latency_ms
        self.latency_jitter_ms = latency_jitter_ms
        self._random = random.Random(seed)
        self._tokens = ContinueTokens(continue_ttl_s)
        self._faults = FaultBook()
        self._records: list[RequestRecord] = []
        self._records_lock = threading.Lock()
        self._index: ClusterIndex | None = None
        self._kube = KubeApi(self._current_index, self._tokens)
        self._argo = ArgoApi(self._current_index, token)
        self._servers: dict[str, _Server] = {}
        self._threads: list[threading.Thread] = []
        self.watches = watching.WatchHub()  # what ?watch=true streams (see `change`)
        self._last_change = 0

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Self:
        """Index the scenario and start both listeners on free loopback ports."""
        if self._servers:
            return self
        self.reload()
        for api in _APIS:
            server = _Server(self, api)
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"simulator-{api}",
                daemon=True,
            )
            thread.start()
            self._servers[api] = server
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop both listeners and close the connections clients keep alive."""
        self.watches.close()
        for server in self._servers.values():
            server.shutdown()
            server.close_connections()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def reload(self) -> None:
        """Re-read the scenario after a test changed it (requests in flight finish on the old)."""
        with gc_paused():
            self._index = ClusterIndex(self.scenario)

    def change(self, obj: RawObject, *, deleted: bool = False) -> str:
        """Add, replace or delete ``obj`` at the next resourceVersion (returned); watches see it."""
        rv = self._last_change = self._resource_version() + 1
        event = watching.apply_change(self.scenario, obj, rv, deleted=deleted)
        self.reload()
        (index := self._current_index()).resource_version = str(rv)  # newest, even if deleted
        info = index.preferred.get((event.group, event.kind))
        self.watches.publish(event.placed(info.plural if info else event.kind.lower() + "s"))
        return str(rv)

    def expire_watch_history(self) -> None:
        """Compact the history as etcd does: an unrelated write, then older versions get 410."""
        self.watches.expire(int(self.change(watching.COMPACTION_MARKER)))

    def _current_index(self) -> ClusterIndex:
        if self._index is None:
            raise RuntimeError("Simulator is not started")
        return self._index

    @property
    def kube_url(self) -> str:
        return self._url("kube")

    @property
    def argocd_url(self) -> str:
        return self._url("argocd")

    def _url(self, api: str) -> str:
        server = self._servers.get(api)
        if server is None:
            raise RuntimeError("Simulator is not started; use `with sim:` or sim.start()")
        host, port = server.server_address[:2]
        return f"http://{host!s}:{port}"

    def write_kubeconfig(self, path: Path) -> Path:
        """Write a kubeconfig for the Kubernetes side (context ``sim``, token auth)."""
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "sim", "cluster": {"server": self.kube_url}}],
            "users": [{"name": "sim", "user": {"token": self.token}}],
            "contexts": [
                {
                    "name": "sim",
                    "context": {
                        "cluster": "sim",
                        "user": "sim",
                        "namespace": self.scenario.control_plane_namespace,
                    },
                }
            ],
            "current-context": "sim",
            "preferences": {},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        return path

    # --- faults, paging, recording ------------------------------------------------------------

    def inject(self, fault: Fault) -> None:
        self._faults.add(fault)

    def clear_faults(self) -> None:
        self._faults.clear()

    def expire_continue_tokens(self) -> None:
        """Make every ``continue`` token issued so far answer 410 Gone."""
        self._tokens.expire_all()

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of every request received so far, in arrival order."""
        with self._records_lock:
            return list(self._records)

    def count(self, api: str | None = None, path_regex: str | None = None) -> int:
        """How many recorded requests match ``api`` and ``path_regex`` (``re.search``)."""
        pattern = re.compile(path_regex) if path_regex else None
        return sum(
            1
            for record in self.requests
            if (api is None or record.api == api)
            and (pattern is None or pattern.search(record.path))
        )

    def reset_counters(self) -> None:
        with self._records_lock:
            self._records.clear()

    def _resource_version(self) -> int:  # never goes back, even when the newest object goes
        return max(int(self._current_index().resource_version), self._last_change)

    def _record(self, record: RequestRecord) -> None:
        with self._records_lock:
            self._records.append(record)

    def _sleep_latency(self) -> None:
        delay = self.latency_ms
        if self.latency_jitter_ms:
            delay += self._random.uniform(0, self.latency_jitter_ms)
        if delay > 0:
            time.sleep(delay / 1000)

    # --- answering ----------------------------------------------------------------------------

    def _answer(
        self,
        api: str,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: Mapping[str, str],
    ) -> Response:
        if api == "argocd":
            if method != "GET":
                return responses.argo_error(405, "Method Not Allowed")
            return self._argo.get(path, query, headers)
        if _bearer(headers) != self.token:
            return responses.kube_status(401, "Unauthorized")
        if method != "GET":
            message = f"{method} is not allowed: the drift-bot simulator is read-only"
            return responses.kube_status(405, message)
        return self._kube.get(path, query)

    def _fault_response(self, api: str, fault: Fault) -> Response | None:
        """The response a fault dictates, or None to answer normally (a pure delay)."""
        if fault.delay_s:
            time.sleep(fault.delay_s)
        if fault.body is not None:
            body = fault.body.encode() if isinstance(fault.body, str) else fault.body
            return Response(fault.status or 200, body)
        if fault.status == 200:
            return None
        if api == "kube":
            found = responses.kube_status(
                fault.status, responses.kube_default_message(fault.status)
            )
        else:
            found = responses.argo_error(fault.status, responses.argo_default_message(fault.status))
        if fault.status in (429, 503):
            return Response(found.status, found.body, headers=(("Retry-After", "1"),))
        return found


def _bearer(headers: Mapping[str, str]) -> str:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, sim: Simulator, api: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.sim = sim
        self.api = api
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Unblock handler threads waiting on idle keep-alive connections."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                continue


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without TCP_NODELAY every answer waits ~40 ms for a delayed ACK (Nagle): the simulator,
    # not the bot, would dominate every benchmark.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log (tests would drown in it)."""

    def _serve(self) -> None:
        sim, api = self.server.sim, self.server.api
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        self._drain_body()
        sim._record(RequestRecord(api, self.command, url.path, query))
        sim._sleep_latency()
        fault = sim._faults.take(api, url.path)
        response = sim._fault_response(api, fault) if fault else None
        if fault is not None and fault.status == 0 and fault.body is None:
            self.close_connection = True  # hang: drop the connection without an answer
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        if response is None and api == "kube" and _bearer(headers) == sim.token:
            watch = watching.watch_request([p for p in url.path.split("/") if p], query)
            if watch is not None:
                body = watching.ChunkedBody(self, self.wfile)
                produce = partial(sim.watches.stream, watch, sim._resource_version, body.write)
                watching.stream_safely(body, produce)
                self.close_connection = True
                return
        if response is None:
            response = sim._answer(api, self.command, url.path, query, headers)
        self._send(response, api)

    def _drain_body(self) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True  # we do not parse chunked bodies; do not reuse
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)

    def _send(self, response: Response, api: str) -> None:
        """Write status line, headers and body in one send (no Nagle stalls between them)."""
        status = response.status
        phrase = HTTPStatus(status).phrase if status in _STATUS_CODES else "Unknown"
        lines = [
            f"{self.protocol_version} {status} {phrase}",
            f"Date: {self.date_time_string()}",
            f"Content-Type: {response.content_type}",
            f"Content-Length: {len(response.body)}",
        ]
        if api == "kube":
            lines.append("Cache-Control: no-cache, private")
        lines += [f"{name}: {value}" for name, value in response.headers]
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            self.wfile.write(head + response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
