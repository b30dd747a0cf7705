"""Slack's Block Kit limits and our own reading budgets, in one place (pure constants).

Slack rejects a whole message when one hard limit is broken, so renderers fold long answers
themselves and `blocks.fit` clamps whatever slips through. The budgets below the hard limits
are about readability: nobody reads 150,000 characters in a chat; the CLI has no such limit.
"""

from __future__ import annotations

from typing import Final

MAX_BLOCKS: Final = 50
MAX_SECTION_CHARS: Final = 3000
MAX_HEADER_CHARS: Final = 150
MAX_FALLBACK_CHARS: Final = 40_000
MAX_FIELD_CHARS: Final = 2000
MAX_FIELDS: Final = 10
"""Section fields and context elements: at most 10 each, fields at most 2000 characters."""

MESSAGE_BUDGET_CHARS: Final = 12_000
"""Slack accepts 50 × 3000 characters, but nobody reads that in a chat; past this budget the
rest of an answer folds into counts and points at the CLI, which has no such limit."""
