"""``python -m esputnik_mcp.sandbox``: serve the sandbox (see :mod:`esputnik_mcp.sandbox.cli`)."""

from esputnik_mcp.sandbox.cli import main

raise SystemExit(main())
