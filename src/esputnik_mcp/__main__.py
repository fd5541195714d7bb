from esputnik_mcp.cli import main

raise SystemExit(main())
