"""Argilla 1.x ("legacy", v0) data in the search engine: the ``ar.datasets`` index and ``ar.dataset.<id>`` records."""
