"""The daily digest as Slack Block Kit: within every limit, escaped, folded, stuck apps first."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta, timezone
from typing import Any

import pytest

from bot.core import acks as acks_core
from bot.core.digest import Digest, build_digest
from bot.core.model import (
    AckScope,
    DriftClass,
    Finding,
    ScanError,
    StuckApp,
    Totals,
)
from bot.delivery.render import digest as digest_render
from bot.delivery.render import limits
from bot.delivery.render.blocks import header
from bot.delivery.render.digest import digest_blocks
from bot.delivery.render.digest_text import digest_text
from tests.core.test_digest import T0, ack, finding, report, snapshot, stuck

# --- rendering: Slack -----------------------------------------------------------------------


def _texts(blocks: list[dict[str, Any]]) -> list[str]:
    out = []
    for block in blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        out.extend(e["text"] for e in block.get("elements", []))
    return out


def _assert_within_slack_limits(blocks: list[dict[str, Any]], fallback: str) -> None:
    assert len(blocks) <= limits.MAX_BLOCKS
    for block in blocks:
        assert block["type"] in {"header", "section", "divider", "context"}
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= limits.MAX_HEADER_CHARS
        elif block["type"] in {"section", "context"}:
            for text in _texts([block]):
                assert 0 < len(text) <= limits.MAX_SECTION_CHARS
    assert 0 < len(fallback) <= limits.MAX_FALLBACK_CHARS
    for text in [*_texts(blocks), fallback]:
        assert re.search(r"&(?!amp;|lt;|gt;)", text) is None, "a raw or cut entity"
        assert "<!" not in text
        assert "<@U9" not in text


def hostile(n: int) -> Finding:
    """A finding whose every cluster value tries to ping, link or break formatting."""
    return finding(
        app=f"app-{n % 37}<!channel>",
        name=f"res-{n}`<@U999>`&" + "&" * 50,
        kind="Secret<!here>",
        namespace="ns<!everyone>",
        cls=list(DriftClass)[n % len(DriftClass)],
        live=n,
        summary="<!channel> & `x` " * 40,
        paths=tuple(f"/spec/`{i}`<!here>" for i in range(5)),
    )


def huge_digest(n: int = 10_000) -> Digest:
    findings = tuple(hostile(i) for i in range(n))
    stuck_apps = tuple(
        stuck(f"stuck-{i}<!channel>", log=("<!channel> ```" + "&" * 400,) * 10) for i in range(120)
    )
    errors = tuple(ScanError(f"e{i}<!here>", "argocd", "& " * 300) for i in range(300))
    previous = snapshot(*(hostile(i + n // 2) for i in range(n)))
    acks = [ack([f], scope=f.app, now=T0 - timedelta(days=6, hours=2)) for f in findings[: n // 10]]
    return build_digest(
        report(findings, stuck_apps=stuck_apps, errors=errors),
        previous=previous,
        acks=acks,
        now=T0,
    )


@pytest.fixture(scope="module")
def big() -> Digest:
    return huge_digest()


def test_ten_thousand_hostile_findings_render_within_every_slack_limit(big: Digest) -> None:
    """Blocks, section lengths and fallback stay within Slack's limits with no raw control text."""
    blocks, fallback = digest_blocks(big)
    _assert_within_slack_limits(blocks, fallback)
    assert big.open_count > 5000
    assert (len(big.unexplained), len(big.expiring_acks), len(big.resolved)) > (1000, 100, 1000)


def test_ten_thousand_findings_format_only_what_is_shown(
    big: Digest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rendering is bounded by what is shown, not by how much drift exists.

    Counted, not timed (wall-clock asserts flake on shared cores): `bench/digest.py` times
    `digest_blocks` and `digest_text` on 10,000 findings.
    """
    calls = 0
    line = digest_render.finding_line

    def counting(*args: Any, **kwargs: Any) -> str:
        nonlocal calls
        calls += 1
        return line(*args, **kwargs)

    monkeypatch.setattr(digest_render, "finding_line", counting)
    digest_blocks(big)
    assert 0 < calls < 500 < big.open_count


def test_unexplained_drift_uses_several_sections_before_folding(big: Digest) -> None:
    """Unexplained drift fills up to eight sections, then points at the full scan."""
    blocks, _ = digest_blocks(big)
    texts = _texts(blocks)
    parts = [t for t in texts if "Unexplained drift" in t]
    assert len(parts) == digest_render.UNEXPLAINED_SECTIONS
    assert "more unexplained: `drift-bot scan` lists every one" in parts[-1]
    assert all("more unexplained" not in t for t in parts[:-1])


def test_hostile_values_are_escaped_in_slack_output() -> None:
    """Mentions, links, ampersands and backticks from the cluster arrive defused."""
    f = finding("gitea<!channel>", "x`y<@U123>", summary="a & b <http://evil|click>")
    d = build_digest(report((f,)), previous=snapshot(), acks=[], now=T0)
    blocks, fallback = digest_blocks(d)
    text = "\n".join(_texts(blocks))
    assert "gitea&lt;!channel&gt;" in text
    assert "`ExternalSecret/xˋy&lt;@U123&gt;`" in text
    assert "a &amp; b &lt;http://evil|click&gt;" in text
    assert "<!channel>" not in text + fallback
    assert "<@U123>" not in text


def test_slack_digest_puts_stuck_apps_first_with_pods_and_log() -> None:
    """The first section after the header is the stuck app with reason, restarts and log."""
    d = build_digest(report((finding(),), stuck_apps=(stuck(),)), previous=None, acks=[], now=T0)
    blocks, fallback = digest_blocks(d)
    assert blocks[0]["type"] == "header"
    first = blocks[1]["text"]["text"]
    assert first.startswith(
        ":rotating_light: *Stuck apps (1)*\n*argo-rollouts* Progressing for 21d"
    )
    assert "*CrashLoopBackOff*, 1154 restarts, age 21d" in first
    assert "```\nfatal: boom\n```" in first
    assert fallback.startswith("Drift digest 2024-05-02 09:00 UTC: 1 stuck (argo-rollouts)")


def test_slack_digest_folds_stuck_apps_beyond_five() -> None:
    """Five stuck apps get their own section; the rest share one list."""
    apps = tuple(stuck(f"s{i}") for i in range(7))
    blocks, fallback = digest_blocks(
        build_digest(report(stuck_apps=apps), previous=None, acks=[], now=T0)
    )
    texts = _texts(blocks)
    assert texts[6].startswith("*…and 2 more stuck apps:*\n• *s5* Progressing for 21d")
    assert "7 stuck (s0, s1, s2, s3, s4, s5, s6)" in fallback


def test_slack_digest_marks_acked_stuck_apps_and_pods_without_diagnosis() -> None:
    """An acked incident says so; a stuck app without pods says none were found."""
    bare = StuckApp(app="web", health="Degraded", since=None)
    incident_ack = acks_core.new_ack(
        ack_id="a8",
        scope=AckScope("web"),
        findings=[],
        by="U1",
        reason="known",
        now=T0,
        extra_fingerprints=[bare.fingerprint],
    )
    d = build_digest(report(stuck_apps=(bare,)), previous=None, acks=[incident_ack], now=T0)
    first = _texts(digest_blocks(d)[0])[1]
    assert first.endswith("*web* Degraded _(acked)_\nNo unhealthy pods found for its workloads.")


def test_slack_digest_shows_trends_against_yesterday() -> None:
    """A changed total carries an up or down marker; the comparison is named once, at the end."""
    before = Totals(total=52, out_of_sync=17, progressing=5, stuck=1)
    d = build_digest(report((finding(),)), previous=snapshot(totals=before), acks=[], now=T0)
    totals = next(t for t in _texts(digest_blocks(d)[0]) if " apps" in t)
    assert totals == (
        "*52* apps · *20* OutOfSync ↑3 · *4* Progressing ↓1 · *1* stuck (arrows: since yesterday)"
        "\n1 open finding, 0 acked"
    )


def test_slack_digest_totals_unchanged_since_yesterday_read_as_a_sentence() -> None:
    """Issue #17: no dangling "=" after each count ("*52* apps = · *20* OutOfSync =")."""
    same = Totals(total=52, out_of_sync=20, progressing=4, stuck=1)
    d = build_digest(report((finding(),)), previous=snapshot(totals=same), acks=[], now=T0)
    totals = next(t for t in _texts(digest_blocks(d)[0]) if " apps" in t)
    assert totals.splitlines()[0] == (
        "*52* apps · *20* OutOfSync · *4* Progressing · *1* stuck (same as yesterday)"
    )
    assert "=" not in totals


def test_slack_digest_without_drift_says_everything_is_synced() -> None:
    """An empty scan says no drift and that there is no earlier snapshot."""
    blocks, fallback = digest_blocks(build_digest(report(), previous=None, acks=[], now=T0))
    texts = _texts(blocks)
    assert any("no drift: every resource is Synced" in t for t in texts)
    assert any("No snapshot from an earlier digest yet" in t for t in texts)
    assert fallback == "Drift digest 2024-05-02 09:00 UTC: 0 open drift findings, 0 acked"


def test_slack_digest_says_when_nothing_changed_since_yesterday() -> None:
    """Same drift as yesterday: one line says nothing is new or resolved."""
    f = finding()
    texts = _texts(
        digest_blocks(build_digest(report((f,)), previous=snapshot(f), acks=[], now=T0))[0]
    )
    assert "Nothing new or resolved since yesterday." in texts


def test_slack_digest_lists_new_and_resolved_with_folding() -> None:
    """Ten new findings are named and the rest folded; resolved ones show what they were."""
    new = tuple(finding(name=f"n{i:02d}") for i in range(12))
    gone = finding(name="gone", summary="old summary")
    d = build_digest(report(new), previous=snapshot(gone), acks=[], now=T0)
    texts = _texts(digest_blocks(d)[0])
    new_text = next(t for t in texts if t.startswith(":new:"))
    assert new_text.count("\n• ") == 10
    assert new_text.endswith("…and 2 more new")
    resolved = next(t for t in texts if t.startswith(":white_check_mark:"))
    assert "• [A] *gitea* `ExternalSecret/gone` in gitea — was: old summary" in resolved


def test_slack_digest_with_only_resolved_drift_lists_no_new_section() -> None:
    """When drift only went away, the resolved list stands alone."""
    d = build_digest(report(), previous=snapshot(finding(name="gone")), acks=[], now=T0)
    texts = _texts(digest_blocks(d)[0])
    assert any(t.startswith(":white_check_mark: *Resolved since yesterday (1)*") for t in texts)
    assert not any(t.startswith(":new:") for t in texts)


def test_slack_stuck_pod_without_log_lines_has_no_code_block() -> None:
    """A pod diagnosis without log lines renders its status line only."""
    s = replace(stuck(), pods=(replace(stuck().pods[0], log=()),))
    d = build_digest(report(stuck_apps=(s,)), previous=None, acks=[], now=T0)
    first = _texts(digest_blocks(d)[0])[1]
    assert first.endswith("1154 restarts, age 21d")
    assert "```" not in first


def test_slack_class_section_folds_the_rest_by_app() -> None:
    """A class with many findings names eight and says where the others are."""
    many = (*(finding("big", f"r{i:02d}") for i in range(20)), finding("small", "z"))
    d = build_digest(report(many), previous=None, acks=[], now=T0)
    section = next(t for t in _texts(digest_blocks(d)[0]) if t.startswith("*[A]"))
    assert section.startswith("*[A] CRD schema defaults* · `schema-defaults` · 21 open")
    assert section.count("\n• ") == 8
    assert section.endswith("…and 13 more (big 12, small 1)")


def test_slack_class_fold_mentions_that_more_apps_exist() -> None:
    """When more than five apps are folded, the list ends with an ellipsis."""
    many = tuple(finding(f"app{i}", "r") for i in range(16))
    d = build_digest(report(many), previous=None, acks=[], now=T0)
    section = next(t for t in _texts(digest_blocks(d)[0]) if t.startswith("*[A]"))
    assert section.endswith("…and 8 more (app2 1, app3 1, app4 1, app5 1, app6 1, …)")


def test_slack_digest_folds_acked_counts_and_lists_expiring_acks() -> None:
    """Acked findings appear as counts; an ack ending soon names its id, scope and owner."""
    a, b = finding(name="a"), finding(name="b", cls=DriftClass.ZOMBIE)
    cli_ack = replace(
        ack([a], "gitea/ExternalSecret/a", now=T0 - timedelta(days=6, hours=19)),
        id="a8",
        by="cli:alice",
    )
    d = build_digest(
        report((a, b)),
        previous=None,
        acks=[ack([a], now=T0 - timedelta(days=6, hours=20)), cli_ack],
        now=T0,
    )
    blocks, _ = digest_blocks(d)
    texts = _texts(blocks)
    assert "*Acked (1), folded:* [A] schema-defaults 1 — `/drift acks`" in texts
    zombie = next(t for t in texts if t.startswith("*[D]"))
    assert zombie.startswith("*[D] zombie (not in git any more)* · `zombie` · 1 open")
    expiring = next(t for t in texts if t.startswith(":hourglass:"))
    assert "• `a7` `gitea` by <@U123>, expires in 4h — upstream chart bug" in expiring
    assert "• `a8` `gitea/ExternalSecret/a` by `cli:alice`, expires in 5h" in expiring


def test_slack_class_section_shows_acked_count_next_to_open_count() -> None:
    """A class with both open and acked findings shows both numbers."""
    a, b = finding(name="a"), finding(name="b")
    d = build_digest(
        report((a, b)), previous=None, acks=[ack([a], "gitea/ExternalSecret/a")], now=T0
    )
    section = next(t for t in _texts(digest_blocks(d)[0]) if t.startswith("*[A]"))
    assert section.startswith("*[A] CRD schema defaults* · `schema-defaults` · 1 open, 1 acked")


def test_slack_digest_names_unexplained_drift_with_its_paths() -> None:
    """Unexplained findings are listed with up to three paths and a count of the rest."""
    u = finding(cls=DriftClass.UNEXPLAINED, paths=("/a", "/b", "/c", "/d"))
    bare = replace(finding("other", cls=DriftClass.UNEXPLAINED), evidence=())
    d = build_digest(report((u, bare)), previous=None, acks=[], now=T0)
    texts = _texts(digest_blocks(d)[0])
    section = next(t for t in texts if t.startswith(":mag:"))
    assert (
        "*gitea* `ExternalSecret/gitea-admin` in gitea — 1 field defaulted by the CRD schema"
        " · `/a`, `/b`, `/c` +1" in section
    )
    assert section.endswith("— 1 field defaulted by the CRD schema")
    assert not any(t.startswith("*[?]") for t in texts)


def test_slack_digest_warns_when_acks_were_not_applied() -> None:
    """With the store down, a warning section and the fallback say acks were not applied."""
    d = build_digest(report((finding(),)), previous=None, acks=None, now=T0)
    blocks, fallback = digest_blocks(d)
    assert any("acks were *not* applied" in t for t in _texts(blocks))
    assert fallback.endswith("acks not applied (Redis unavailable)")


def test_slack_digest_lists_read_errors_last() -> None:
    """Apps that could not be read are named with source and message in the last section."""
    errors = tuple(ScanError(f"app{i}", "argocd", "permission denied") for i in range(11))
    blocks, _ = digest_blocks(build_digest(report(errors=errors), previous=None, acks=[], now=T0))
    last = blocks[-1]["text"]["text"]
    assert last.startswith(":warning: *Could not read 11 apps*; the digest covers the rest")
    assert "• *app0* (argocd): permission denied" in last
    assert last.endswith("…and 1 more")


def test_slack_fallback_counts_new_resolved_and_unexplained() -> None:
    """The notification line summarises change and unexplained drift."""
    u = finding(cls=DriftClass.UNEXPLAINED)
    d = build_digest(report((u,)), previous=snapshot(finding(name="gone")), acks=[], now=T0)
    _, fallback = digest_blocks(d)
    assert fallback.endswith("1 open drift findings, 0 acked; 1 new, 1 resolved; 1 unexplained")


def test_slack_header_is_clipped_to_150_characters() -> None:
    """A header longer than Slack allows is shortened with an ellipsis."""
    text = header("Drift digest · " + "Z" * 200)["text"]["text"]
    assert len(text) == 150
    assert text.endswith("…")


def test_digest_time_is_written_in_utc_whatever_zone_it_carries() -> None:
    """A digest built at 10:30 in UTC+01:30 says 09:00 UTC, in the header and the fallback."""
    d = build_digest(report(), previous=None, acks=[], now=T0)
    east = replace(d, generated_at=T0.astimezone(timezone(timedelta(hours=1, minutes=30))))
    blocks, fallback = digest_blocks(east)
    assert blocks[0]["text"]["text"] == "Drift digest · 2024-05-02 09:00 UTC"
    assert fallback.startswith("Drift digest 2024-05-02 09:00 UTC: ")
    assert digest_text(east).startswith("Drift digest · 2024-05-02 09:00 UTC\n")


def test_a_stuck_app_with_many_long_pods_folds_pods_into_a_logs_hint() -> None:
    """More pods than fit are folded into a pointer at ``/drift logs``."""
    pod = stuck().pods[0]
    pods = tuple(replace(pod, name=f"p{i}", log=("&" * 400,) * 3) for i in range(5))
    s = replace(stuck(), pods=pods)
    text = _texts(
        digest_blocks(build_digest(report(stuck_apps=(s,)), previous=None, acks=[], now=T0))[0]
    )[1]
    assert len(text) <= 3000
    assert re.search(r"…and \d more pods: `/drift logs argo-rollouts`$", text)
