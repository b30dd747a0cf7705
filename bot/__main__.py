"""`python -m bot` runs the CLI (handy for debuggers that want a module)."""

from bot.delivery.cli import main

raise SystemExit(main())
