"""SQL repositories: one module per group of aggregates, all over a `Gateway`."""
