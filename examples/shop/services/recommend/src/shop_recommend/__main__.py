from shop_recommend.server import main

raise SystemExit(main())
