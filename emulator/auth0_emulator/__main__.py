from auth0_emulator.cli import main

raise SystemExit(main())
