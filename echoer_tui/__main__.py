from echoer_tui.cli import main

raise SystemExit(main())
