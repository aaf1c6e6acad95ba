"""The fast tier: pure modules, no PostgreSQL, no search node, no Java (``make test-fast``)."""
