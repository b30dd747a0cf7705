"""One rendering toolkit for every outgoing word: CLI text, Slack answers, digest, escalation.

Pure functions, model objects in, strings or Block Kit dicts out; the senders live elsewhere
(``cli.py`` prints, ``slack/app.py`` and the notifier post).

- `escape`: the one escaping policy for untrusted cluster text (Slack entities, backticks,
  terminal control characters, entity-safe cuts).
- `time`: the one time format (``2026-04-16 21:15 UTC``, always converted to UTC).
- `limits`, `blocks`: Slack's Block Kit limits and the builders/guard that keep them.
- `markup`, `findings`: what a finding says (`finding_lines`, `finding_line`), decided once;
  a `Markup` (Slack or terminal) decides only how it looks.
- `text` (CLI scan/app/logs), `answers` (``/drift`` answers), `digest` and `digest_text`
  (the daily digest), `escalation` (the on-call ping).

Golden files for every rendering are in ``tests/delivery/render/golden``.
"""
