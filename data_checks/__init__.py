"""Great-expectations suites, one per feed (``suites``), and the runner the ingest
assets use to validate every file (``runner``)."""
