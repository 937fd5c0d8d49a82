"""The executive pages, one module per topic: the dashboard, the cascade and an objective's
alignment, the balanced scorecards, and their strategy maps."""
