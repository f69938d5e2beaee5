from workchat.cli import main

raise SystemExit(main())
