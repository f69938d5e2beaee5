from workchat.mcp.stdio import main

raise SystemExit(main())
