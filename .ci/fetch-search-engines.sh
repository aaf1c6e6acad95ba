#!/usr/bin/env bash
# Pre-fetch the Elasticsearch/OpenSearch test distributions (and their plugins) from Maven Central
# into the search-node cache; a second run finds everything cached and downloads nothing.
#   ARGILLA_MAINT_SEARCH_ENGINES  which engines (default: tests/support/search_nodes.py ENGINES)
#   ARGILLA_MAINT_SEARCH_CACHE    where (default: ~/.cache/argilla-maint/search)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3

if ! command -v mvn >/dev/null 2>&1; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q maven
fi

for attempt in 1 2 3; do
  if "$PYTHON" -m tests.support.search_nodes fetch "$@"; then
    exit 0
  fi
  echo "fetch-search-engines: attempt $attempt failed, retrying" >&2
  sleep $((attempt * 5))
done
exit 1
