from est_pipeline.demo.cli import main

raise SystemExit(main())
