"""`python -m bot` runs the CLI (handy for debuggers that want a module)."""

from bot.wiring import main

raise SystemExit(main())
