"""argilla-maintenance: schema migrations, reindexing and legacy fixes for Argilla deployments."""
