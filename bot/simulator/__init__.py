"""An in-process simulator of the Kubernetes and Argo CD APIs, for the demo, tests and benches.

The real clients (`kubernetes`, httpx) talk to it over loopback HTTP, so adapters are tested
against the wire formats they meet in production, not against mocks of themselves::

    from bot.simulator import Simulator, Fault, scenarios

    with Simulator(scenarios.seed(now), token="sim-token") as sim:
        sim.write_kubeconfig(tmp_path / "kubeconfig")
        ...  # point KUBECONFIG / ARGOCD_SERVER at sim.kube_url / sim.argocd_url

Layout: ``scenarios/`` says what the cluster holds (the ``seed`` and ``generated`` scenarios,
built with `ScenarioBuilder` into a plain-data `Scenario`), ``cluster/`` derives what a real
API server and Argo CD would show for it (objects, kinds and CRDs from ``data/``, workloads,
Argo CD's views and health, the read-optimised index), and ``http/`` serves that over two
loopback ports (routing, Go-style responses, selectors and paging, injected faults). The names
above are the public API; the sub-packages are internals tests may reach into.

Production code never imports this package (an import-linter contract says so).
"""

from bot.simulator import scenarios
from bot.simulator.http.faults import Fault
from bot.simulator.http.server import RequestRecord, Simulator
from bot.simulator.scenarios.scenario import Scenario

__all__ = ["Fault", "RequestRecord", "Scenario", "Simulator", "scenarios"]
