"""The executive API, one module per topic: the cascade and dashboard documents, the
balanced scorecards, and their strategy-map links."""
