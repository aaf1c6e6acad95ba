"""Search-engine layer: Argilla's index layout (pure) and async Elasticsearch/OpenSearch clients behind one protocol."""
