"""Every use case of the bot, over the ports (`bot.ports`) and the pure core (`bot.core`).

`scan` (DriftService: scan, one app, one app's logs) with its `run` state, `stuck` health half
and `pipeline` concurrency helpers; `caching` and `acks` (decorators of any `Classifier`, and
the ack use cases); `digest` and `escalation` (what the bot posts on its own). Nothing here
knows Slack, the terminal or HTTP: renderers and clients come in through constructor arguments.
"""
