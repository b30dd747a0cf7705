"""The Slack face of drift-bot: the ``/drift`` slash command over HTTP or Socket Mode.

``commands`` (parse what people type) is pure and tested without Slack (the Block Kit answers
are `bot.delivery.render.answers`); ``app`` is the only module here that imports ``slack_bolt``
and does I/O.
"""
