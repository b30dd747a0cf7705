"""The `drift-bot` command line as a user runs it: commands, output and exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.simulator import Simulator, scenarios
from bot.wiring import main
from tests.conftest import free_port

TOKEN = "sim-token"


@pytest.fixture(scope="module")
def live_sim() -> Iterator[Simulator]:
    """The seed cluster at the real current time (the CLI reads the real clock)."""
    with Simulator(scenarios.seed(now=datetime.now(UTC)), token=TOKEN) as sim:
        yield sim


@pytest.fixture
def cluster_env(live_sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Simulator:
    """Environment pointing the CLI at the simulator, as a user would export it."""
    monkeypatch.setenv("KUBECONFIG", str(live_sim.write_kubeconfig(tmp_path / "kubeconfig")))
    monkeypatch.setenv("ARGOCD_SERVER", live_sim.argocd_url)
    monkeypatch.setenv("ARGOCD_AUTH_TOKEN", TOKEN)
    return live_sim


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), stdout=out)
    return code, out.getvalue()


class TestScan:
    def test_json_follows_the_contract(self, cluster_env: Simulator) -> None:
        """`scan --format json` prints the DESIGN §3 document with the seed's totals."""
        code, out = run("scan", "--format", "json")
        assert code == 0
        doc = json.loads(out)
        assert set(doc) >= {"generated_at", "apps", "findings", "stuck", "errors"}
        assert doc["apps"] == {"total": 52, "out_of_sync": 20, "progressing": 4, "stuck": 1}
        finding = doc["findings"][0]
        assert set(finding) >= {
            "app", "class", "group", "kind", "namespace", "name", "paths", "evidence", "fix",
            "safe_to_delete", "acked",
        }  # fmt: skip
        assert set(finding["fix"]) == {"kind", "text"}
        slugs = {f["class"] for f in doc["findings"]}
        assert slugs == {
            "schema-defaults", "phantom-defaults", "unadopted", "zombie", "contested",
            "hook-leftover", "injected-fields", "unexplained",
        }  # fmt: skip
        crd = next(f for f in doc["findings"] if f["kind"] == "CustomResourceDefinition")
        assert crd["namespace"] == ""
        svc = next(f for f in doc["findings"] if f["kind"] == "Service")
        assert svc["group"] == ""
        assert doc["stuck"][0]["pods"][0]["restarts"] == 1154

    def test_app_filter_limits_the_report(self, cluster_env: Simulator) -> None:
        """`--app` restricts findings and totals to the named apps."""
        code, out = run("scan", "--format", "json", "--app", "gitea", "--app", "root")
        doc = json.loads(out)
        assert code == 0
        assert {f["app"] for f in doc["findings"]} == {"gitea", "root"}
        assert doc["apps"]["total"] == 2

    def test_fail_on_drift_exits_1(self, cluster_env: Simulator) -> None:
        """With --fail-on-drift, drift or stuck apps make the exit code 1."""
        code, _ = run("scan", "--fail-on-drift", "--format", "json")
        assert code == 1

    def test_text_groups_by_app_with_fixes(self, cluster_env: Simulator) -> None:
        """The text report leads with the stuck app and shows classes and fixes per app."""
        code, out = run("scan", "--color", "never")
        assert code == 0
        assert out.index("STUCK") < out.index("DRIFT BY APP")
        assert "CrashLoopBackOff, 1154 restarts" in out
        assert "[C] unadopted" in out
        assert "kubectl annotate" in out
        assert "\x1b[" not in out

    def test_unknown_app_exits_2_with_close_matches(
        self, cluster_env: Simulator, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A typo in an app name exits 2 and suggests the close match."""
        code, _ = run("app", "gitee")
        assert code == 2
        assert "gitea" in capsys.readouterr().err


class TestAppAndLogs:
    def test_app_shows_findings(self, cluster_env: Simulator) -> None:
        """`app gitea` shows its ExternalSecret defaults and zombie verdicts."""
        code, out = run("app", "gitea", "--color", "never")
        assert code == 0
        assert "[A] CRD schema defaults" in out
        assert "safe to delete" in out

    def test_logs_shows_the_fatal_line_redacted(self, cluster_env: Simulator) -> None:
        """`logs argo-rollouts` shows the plugin 404 and no secret from the log."""
        code, out = run("logs", "argo-rollouts", "--color", "never")
        assert code == 0
        assert "level=fatal" in out
        assert "Not Found" in out
        assert "[REDACTED]" in out


class TestUpstreamErrors:
    def test_unreachable_argocd_exits_3_naming_the_setting(
        self,
        cluster_env: Simulator,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """No Argo CD listening: the JSON of what Kubernetes says (apps, stuck, the error naming
        ARGOCD_SERVER), then exit 3."""
        monkeypatch.setenv("ARGOCD_SERVER", f"http://127.0.0.1:{free_port()}")
        code, out = run("scan", "--format", "json")
        assert code == 3
        printed = json.loads(out)
        assert printed["apps"]["total"] == 52
        assert [s["app"] for s in printed["stuck"]] == ["argo-rollouts"]
        (error,) = printed["errors"]
        assert (error["app"], error["source"]) == ("*", "argocd")
        assert "ARGOCD_SERVER" in error["message"]
        assert "ARGOCD_SERVER" in capsys.readouterr().err

    def test_unreachable_kubernetes_exits_3(
        self,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Nothing at the kubeconfig's server: exit 3 with a message naming KUBECONFIG."""
        port = free_port()
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(
            "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
            f"clusters: [{{name: x, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\n"
            "users: [{name: x, user: {token: t}}]\n"
            "contexts: [{name: x, context: {cluster: x, user: x}}]\n"
        )
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
        monkeypatch.setenv("ARGOCD_SERVER", f"http://127.0.0.1:{port}")
        monkeypatch.setenv("ARGOCD_AUTH_TOKEN", "t")
        code, out = run("scan", "--format", "json")
        assert code == 3
        assert "KUBECONFIG" in capsys.readouterr().err
        printed = json.loads(out)
        assert [(e["app"], e["source"]) for e in printed["errors"]] == [("*", "kubernetes")]
        assert (printed["findings"], printed["stuck"]) == ([], [])

    def test_wrong_argocd_token_says_so(
        self,
        cluster_env: Simulator,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """A wrong token exits 3 with a message pointing at ARGOCD_AUTH_TOKEN."""
        monkeypatch.setenv("ARGOCD_AUTH_TOKEN", "not-the-token")
        code, _ = run("scan", "--format", "json")
        assert code == 3
        err = capsys.readouterr().err
        assert "token" in err
        assert "ARGOCD_AUTH_TOKEN" in err

    def test_missing_argocd_server_exits_2(
        self,
        cluster_env: Simulator,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Without ARGOCD_SERVER the scan cannot diff: exit 2 naming the variable."""
        monkeypatch.delenv("ARGOCD_SERVER")
        code, _ = run("scan")
        assert code == 2
        assert "ARGOCD_SERVER" in capsys.readouterr().err


class TestConfiguration:
    def test_bad_duration_exits_2_naming_the_variable(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """DRIFT_STUCK_AFTER=soon exits 2 and the message names DRIFT_STUCK_AFTER."""
        monkeypatch.setenv("DRIFT_STUCK_AFTER", "soon")
        code, _ = run("scan")
        assert code == 2
        assert "DRIFT_STUCK_AFTER" in capsys.readouterr().err

    def test_usage_error_exits_2(self) -> None:
        """An unknown flag is a usage error (exit 2)."""
        with pytest.raises(SystemExit) as exc:
            main(["scan", "--nope"])
        assert exc.value.code == 2


class TestDemo:
    def test_demo_tells_the_seed_story(self) -> None:
        """`python -m bot demo` runs with nothing configured and names the crashloop and drift."""
        proc = subprocess.run(
            [sys.executable, "-m", "bot", "demo", "--color", "never"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        out = proc.stdout
        assert "52 apps · 20 OutOfSync · 4 Progressing · 1 stuck" in out
        assert "argo-rollouts" in out
        assert "CrashLoopBackOff, 1154 restarts" in out
        assert "Failed to download plugins" in out
        for slug in ("schema-defaults", "phantom-defaults", "unadopted", "zombie", "contested",
                     "hook-leftover", "injected-fields", "unexplained"):  # fmt: skip
            assert slug in out
        assert "DAILY DIGEST" in out
        # The fatal line's cause (at its very end) survives in the scan and the digest.
        assert out.count("response code Not Found") >= 2
        assert proc.stderr == ""
