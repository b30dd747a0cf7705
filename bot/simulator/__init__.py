"""An in-process simulator of the Kubernetes and Argo CD APIs, for the demo, tests and benches.

The real clients (`kubernetes`, httpx) talk to it over loopback HTTP, so adapters are tested
against the wire formats they meet in production, not against mocks of themselves::

    from bot.simulator import Simulator, Fault, scenarios

    with Simulator(scenarios.seed(now), token="sim-token") as sim:
        sim.write_kubeconfig(tmp_path / "kubeconfig")
        ...  # point KUBECONFIG / ARGOCD_SERVER at sim.kube_url / sim.argocd_url

Production code never imports this package (an import-linter contract says so).
"""

from bot.simulator import scenarios
from bot.simulator.faults import Fault
from bot.simulator.scenario import Scenario
from bot.simulator.server import RequestRecord, Simulator

__all__ = ["Fault", "RequestRecord", "Scenario", "Simulator", "scenarios"]
