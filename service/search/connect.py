"""Build the configured ``SearchEngine`` from settings (nothing connects until the first request)."""

from __future__ import annotations

from service.core.config import SearchSettings
from service.core.errors import SearchEngineUnavailable
from service.search.engine import SearchEngine


def open_search_engine(settings: SearchSettings) -> SearchEngine:
    """The Elasticsearch or OpenSearch engine named by ARGILLA_SEARCH_ENGINE, at ARGILLA_ELASTICSEARCH."""
    if settings.url is None:
        raise SearchEngineUnavailable("no search engine configured; set ARGILLA_ELASTICSEARCH to its URL", configured=False)
    if settings.engine == "opensearch":
        from service.search.opensearch import OpenSearchEngine

        return OpenSearchEngine(settings.url, ssl_verify=settings.ssl_verify, ca_path=settings.ca_path, **_deadlines(settings))
    from service.search.elastic import ElasticsearchEngine

    return ElasticsearchEngine(settings.url, ssl_verify=settings.ssl_verify, ca_path=settings.ca_path, **_deadlines(settings))


def _deadlines(settings: SearchSettings) -> dict[str, float]:
    return {
        "timeout": settings.request_timeout,
        "refresh_timeout": settings.refresh_timeout,
        "busy_budget": settings.busy_retry_seconds,
    }
