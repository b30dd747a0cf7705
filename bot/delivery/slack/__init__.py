"""The Slack face of drift-bot: the ``/drift`` slash command over HTTP or Socket Mode.

``commands`` (parse what people type) and ``render`` (Block Kit out) are pure and tested without
Slack; ``app`` is the only module here that imports ``slack_bolt`` and does I/O.
"""
