from cigen.cli import main

raise SystemExit(main())
