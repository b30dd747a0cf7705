"""Block Kit rendering: Slack's limits hold for any input, and cluster text can ping nobody."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.model import (
    Ack,
    AckScope,
    AppReport,
    DiffOp,
    DriftClass,
    Evidence,
    Finding,
    Fix,
    FixKind,
    PodDiagnosis,
    ResourceKey,
    ScanError,
)
from bot.delivery.render import answers as render
from bot.delivery.render import limits
from bot.delivery.render.escape import clip, escape
from bot.errors import InputError, StoreError, UnknownAppError, UpstreamError
from tests.delivery.slack import seed
from tests.fakes.slack_api import limit_problem

PING = "<!channel>"


def texts(message: render.Message) -> list[str]:
    """Every text Slack would parse: block texts and the fallback."""
    out = [message.text]
    for block in message.blocks:
        text = block.get("text")
        if isinstance(text, dict):
            out.append(text["text"])
    return out


def assert_within_limits(message: render.Message) -> None:
    """The message passes every limit the fake Slack API enforces."""
    assert limit_problem({"blocks": message.blocks, "text": message.text}) is None
    for text in texts(message)[1:]:
        assert text.count("```") % 2 == 0, "a code fence is left open"


EVIL = f"{PING} <@U999> <http://evil|click> & `x` *b* {'y' * 400}"
HOSTILE_EVIDENCE = tuple(
    Evidence(f"/spec/{PING}/{j}", DiffOp.CHANGED, EVIL, {"v": EVIL}) for j in range(30)
)


HOSTILE_FIX = Fix(FixKind.INVESTIGATE, ("```\n" + EVIL + "\n") * 200)
HOSTILE_USERS = tuple(f"pod/{PING}-{k}" for k in range(50))


def hostile_finding(i: int, drift_class: DriftClass) -> Finding:
    """A finding whose every cluster-derived field is long and full of markup."""
    return Finding(
        app="gitea",
        drift_class=drift_class,
        key=ResourceKey("g.example", "Kind" + "K" * 100, "ns" + PING, f"name-{i}-{EVIL}"),
        summary=EVIL,
        evidence=HOSTILE_EVIDENCE,
        fix=HOSTILE_FIX,
        safe_to_delete=False if drift_class is DriftClass.ZOMBIE else None,
        users=HOSTILE_USERS,
    )


def huge_report(n: int) -> AppReport:
    classes = list(DriftClass)
    return replace(
        seed.rollouts_report(),
        app="gitea",
        findings=tuple(hostile_finding(i, classes[i % len(classes)]) for i in range(n)),
        errors=tuple(ScanError(f"app{i}", "argocd", PING * 100) for i in range(40)),
    )


class TestLimits:
    def test_ten_thousand_findings_fold_within_limits(self) -> None:
        """10,000 hostile findings render within Slack's limits and fold into a count."""
        message = render.app_report(huge_report(10_000))
        assert_within_limits(message)
        assert len(message.blocks) <= limits.MAX_BLOCKS
        assert len(message.text) <= limits.MAX_FALLBACK_CHARS
        fold = [t for t in texts(message) if t.startswith("…and ")]
        assert fold, "the remaining findings are summarised"
        shown = sum(1 for t in texts(message) if t.startswith("*[") and "·" in t)
        assert f"…and {10_000 - shown} more: " in fold[0]
        assert "run `drift-bot app gitea`" in fold[0]

    def test_every_class_counted_in_fold(self) -> None:
        """The fold line counts the hidden findings per class, with the seed's letters."""
        message = render.app_report(huge_report(10_000))
        fold = next(t for t in texts(message) if t.startswith("…and "))
        for cls in DriftClass:
            assert f"[{cls.letter}] {escape(cls.title)}" in fold

    def test_long_fix_is_shortened_with_closed_fence(self) -> None:
        """A fix longer than its budget is cut at a line, says so, and closes its code block."""
        long_fix = Fix(FixKind.IGNORE_DIFFERENCES, "\n".join(f"- /spec/x{i}" for i in range(900)))
        finding = replace(seed.external_secret("gitea", "gitea", "x"), fix=long_fix)
        report = replace(seed.gitea_report(), findings=(finding,))
        text = next(t for t in texts(render.app_report(report)) if t.startswith("*[A]"))
        assert text.endswith(
            "- /spec/x122\n```\n_Fix shortened_ — run `drift-bot app gitea` for all of it."
        )
        assert text.count("```") == 2
        assert len(text) <= limits.MAX_SECTION_CHARS

    def test_many_pods_and_log_lines_fold(self) -> None:
        """Past 5 pods and 20 log lines the rest are counted, and the last (fatal) line stays."""
        pod = seed.rollouts_stuck().pods[0]
        log = (*(f"line {i}" for i in range(100)), seed.FATAL_LINE)
        pods = tuple(replace(pod, name=f"p{i}", log=log) for i in range(9))
        stuck = replace(seed.rollouts_stuck(), pods=pods)
        message = render.stuck_app(stuck, seed.NOW)
        assert_within_limits(message)
        joined = "\n".join(texts(message))
        assert "…and 4 more unhealthy pods" in joined
        assert "81 earlier lines not shown" in joined
        assert "level=fatal" in joined

    def test_long_log_line_keeps_its_end(self) -> None:
        """A log line past the limit is shortened in the middle, so its cause stays visible."""
        long = (
            'level=fatal msg="Failed to download plugins: '
            + "x" * 500
            + ' response code Not Found"'
        )
        message = render.stuck_app(seed.rollouts_stuck(log=(long,)), seed.NOW)
        joined = "\n".join(texts(message))
        assert "level=fatal" in joined
        assert "response code Not Found" in joined
        assert "x" * 400 not in joined

    def test_fit_clamps_foreign_blocks(self) -> None:
        """Blocks built elsewhere (the digest) are clamped to 50 blocks and 3000 characters."""
        section = {"type": "section", "text": {"type": "mrkdwn", "text": "```\n" + "x" * 9000}}
        header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 400}}
        message = render.fit([header] + [section] * 80, "t" * 50_000, more="run `drift-bot digest`")
        assert_within_limits(message)
        assert len(message.blocks) == limits.MAX_BLOCKS
        assert message.blocks[-1]["text"]["text"] == "…and 32 more — run `drift-bot digest`"

    @pytest.mark.parametrize(
        ("text", "limit", "expected"),
        [
            pytest.param("a" * 10 + "&amp;b", 14, "aaaaaaaaa…", id="no-half-entity"),
            pytest.param("hi <@U0ALICE> there", 14, "hi …", id="no-half-mention"),
            pytest.param("short", 10, "short", id="untouched"),
            pytest.param("```\n" + "x" * 50, 20, "```\n" + "x" * 11 + "…\n```", id="closes-fence"),
        ],
    )
    def test_clip_never_breaks_markup(self, text: str, limit: int, expected: str) -> None:
        """Cutting text never leaves half an entity or half a mention behind."""
        assert clip(text, limit) == expected

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        name=st.text(max_size=300),
        value=st.text(max_size=5000),
        lines=st.lists(st.text(max_size=600), max_size=40),
        n=st.integers(min_value=0, max_value=120),
    )
    def test_any_text_stays_within_limits(
        self, name: str, value: str, lines: list[str], n: int
    ) -> None:
        """Arbitrary unicode in any field never breaks a limit or leaves a raw ``<``."""
        finding = Finding(
            app=name,
            drift_class=DriftClass.UNEXPLAINED,
            key=ResourceKey(value[:50], name, value[:20], value),
            summary=value,
            evidence=(Evidence(value, DiffOp.CHANGED, value, name),),
            fix=Fix(FixKind.INVESTIGATE, value),
            users=(name,),
        )
        pod = PodDiagnosis(name, value, name, value, 3, None, value, tuple(lines))
        stuck = replace(seed.rollouts_stuck(), app=name, health=value, pods=(pod,) * 3)
        report = AppReport(seed.NOW, name, value, name, None, (finding,) * n, stuck)
        for message in (render.app_report(report), render.stuck_app(stuck, seed.NOW)):
            assert_within_limits(message)
            for text in texts(message):
                assert "<" not in text


class TestEscaping:
    def test_cluster_text_cannot_ping(self) -> None:
        """``<!channel>`` anywhere in a report reaches Slack only as ``&lt;!channel&gt;``."""
        message = render.app_report(huge_report(3))
        for text in texts(message):
            assert PING not in text
            assert "<@U999>" not in text
        assert any("&lt;!channel&gt;" in text for text in texts(message))

    def test_backticks_cannot_close_code(self) -> None:
        """Backticks from the cluster become ˋ inside code, so values cannot escape formatting."""
        finding = replace(
            seed.external_secret("gitea", "gitea", "x"),
            fix=Fix(FixKind.PIN_IN_GIT, "a: ```\n<!here>"),
        )
        report = replace(seed.gitea_report(), findings=(finding,))
        text = next(t for t in texts(render.app_report(report)) if t.startswith("*[A]"))
        assert "a: ˋˋˋ\n&lt;!here&gt;" in text
        assert text.count("```") == 2

    def test_sections_are_verbatim(self) -> None:
        """mrkdwn is sent verbatim, so Slack does not auto-link names found in cluster text."""
        for block in render.app_report(seed.gitea_report()).blocks:
            if block["type"] == "section":
                assert block["text"]["verbatim"] is True


class TestAnswers:
    def test_zombie_verdicts(self) -> None:
        """A zombie is safe to delete only when nothing uses it; users are named otherwise."""
        used = seed.zombie("infisical", "ServiceAccount", "infisical", "redis", ("pod/redis-0",))
        report = replace(
            seed.gitea_report(), findings=(seed.zombie("gitea", "Service", "gitea", "x"), used)
        )
        joined = "\n".join(texts(render.app_report(report)))
        assert "*Safe to delete*: nothing uses it." in joined
        assert "*NOT safe to delete*: still used by `pod/redis-0`." in joined

    def test_help_lists_grammar(self) -> None:
        """Help shows every usage line of the contract."""
        joined = "\n".join(texts(render.help_message()))
        assert "/drift ack APP[/KIND/NAME] [DURATION] REASON..." in joined
        assert "/drift unack ID" in joined

    def test_acks_list_mentions_only_slack_users(self) -> None:
        """Who acked is a real ``<@U…>`` mention; a CLI user is shown as code, not a mention."""
        acks = [
            _ack("a1", "U0ALICE", "known <!channel>"),
            _ack("a2", "cli:bob", "chart bump", days=40),
        ]
        message = render.acks_list(acks, seed.NOW)
        joined = "\n".join(texts(message))
        assert "by <@U0ALICE>" in joined
        assert "`cli:bob`" in joined
        assert "known &lt;!channel&gt;" in joined
        assert "expires in 2d" in joined

    def test_acks_list_folds(self) -> None:
        """Thousands of acks fold into a count and stay within limits."""
        acks = [_ack(f"a{i}", "U0ALICE", "r" * 400) for i in range(3000)]
        message = render.acks_list(acks, seed.NOW)
        assert_within_limits(message)
        fold = message.blocks[-1]["text"]["text"]
        assert fold.startswith("…and ")
        assert fold.endswith("more — run `drift-bot acks`")

    def test_ack_confirmation(self) -> None:
        """The confirmation names scope, duration, expiry, covered drifts, id and reason."""
        text = texts(render.ack_confirmation(_ack("a7", "U0ALICE", "noise"), seed.NOW))[1]
        assert text == (
            "Acked `gitea/Service/redis` for 2d (until 2026-04-18 21:15 UTC); "
            "it covers 2 current drifts.\nAck id `a7` · reason: noise"
        )

    @pytest.mark.parametrize(
        ("error", "expected"),
        [
            pytest.param(
                UnknownAppError("gitae", ["gitea", "gitea-extras"]),
                "No Argo CD Application named `gitae`. Did you mean: `gitea`, `gitea-extras`?",
                id="unknown-app",
            ),
            pytest.param(
                UpstreamError("connection refused", source="argocd"),
                "*Argo CD unreachable*: connection refused — check `ARGOCD_SERVER`.",
                id="argocd-default-setting",
            ),
            pytest.param(
                UpstreamError("timeout <b>", source="kubernetes", setting="KUBECONFIG"),
                "*Kubernetes unreachable*: timeout &lt;b&gt; — check `KUBECONFIG`.",
                id="kubernetes",
            ),
            pytest.param(
                StoreError("Redis at redis://redis:6379/0 refused the connection"),
                "*Acks unavailable*: Redis at redis://redis:6379/0 refused the connection — "
                "check `REDIS_URL`.",
                id="redis",
            ),
        ],
    )
    def test_error_messages(self, error: Exception, expected: str) -> None:
        """Each error names what failed and what to check."""
        builders: dict[type, Any] = {
            UnknownAppError: render.unknown_app,
            UpstreamError: render.upstream_error,
            StoreError: render.store_error,
        }
        message = builders[type(error)](error)
        assert texts(message)[1].startswith(expected)

    def test_input_error_shows_usage(self) -> None:
        """A syntax error is answered with the problem and the usage line."""
        message = render.input_error(InputError("Give an app name.\nUsage: `/drift app NAME`"))
        assert texts(message)[1] == "Give an app name.\nUsage: `/drift app NAME`"
        assert message.text == "Give an app name."

    def test_ack_forbidden_does_not_ping_the_group(self) -> None:
        """Refusing an ack names the group id without a ``<!subteam^…>`` mention."""
        joined = "\n".join(texts(render.ack_forbidden("S0ACKERS")))
        assert "`S0ACKERS`" in joined
        assert "subteam" not in joined


def _ack(ident: str, by: str, reason: str, days: int = 2) -> Ack:
    return Ack(
        id=ident,
        scope=AckScope("gitea", "Service", "redis"),
        fingerprints=frozenset({"f1", "f2"}),
        by=by,
        reason=reason,
        created_at=seed.NOW,
        expires_at=seed.NOW + timedelta(days=days),
    )


def test_answers_from_the_watched_fleet_say_how_fresh_it_was() -> None:
    report = seed.rollouts_report()
    assert not any("watched" in t for t in texts(render.app_report(report)))
    watched = replace(report, fleet_as_of=report.generated_at - timedelta(seconds=4))
    assert any("(app list watched, 4s old)" in t for t in texts(render.app_report(watched)))
