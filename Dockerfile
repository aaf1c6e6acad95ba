# syntax=docker/dockerfile:1
# argilla-maintenance: `argilla-maint serve` on 0.0.0.0:6910 as uid 10001. The Helm chart's migration hook
# runs this same image with `argilla-maint database migrate`. Build: see README, "Deployment".
#
# The base is pinned to a Debian release (bookworm, Python 3.11 from Debian); pin it further by digest with
#   --build-arg BASE_IMAGE=docker.io/library/debian:bookworm-slim@sha256:<digest>
# Python dependencies come from requirements/runtime.lock (exact versions and hashes, the set CI tests).
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${BASE_IMAGE} AS base
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 ca-certificates \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log

# python3-venv (and the pip and setuptools wheels it brings) stays in this stage.
FROM base AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3-venv \
    && python3 -m venv /opt/argilla-maint
# Dependencies first, from the lock alone: a source change rebuilds from the COPY of the source on.
COPY requirements/runtime.lock /tmp/runtime.lock
# Behind a TLS-intercepting proxy, pass its CA bundle as a build secret (never stored in a layer):
#   --secret id=ca-bundle,src=/etc/ssl/certs/ca-certificates.crt
RUN --mount=type=secret,id=ca-bundle \
    if [ -s /run/secrets/ca-bundle ]; then export PIP_CERT=/run/secrets/ca-bundle; fi; \
    /opt/argilla-maint/bin/pip install --no-cache-dir --disable-pip-version-check --require-hashes \
        --only-binary :all: -r /tmp/runtime.lock
COPY pyproject.toml /src/
COPY service /src/service
COPY migrations /src/migrations
RUN /opt/argilla-maint/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps --no-build-isolation /src \
    && /opt/argilla-maint/bin/pip check \
    && /opt/argilla-maint/bin/pip uninstall -y -q setuptools pip \
    && /opt/argilla-maint/bin/python -m compileall -q /opt/argilla-maint/lib

FROM base
# The source revision and date are labels given at build time (docker/buildah build --label
# org.opencontainers.image.revision=... --label org.opencontainers.image.created=...), not build arguments:
# a changing argument would invalidate every cached layer at each commit.
LABEL org.opencontainers.image.title="argilla-maintenance" \
      org.opencontainers.image.description="Maintenance service for Argilla deployments: schema migrations, reindex, history" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.base.name="docker.io/library/debian:bookworm-slim"
RUN groupadd --system --gid 10001 argilla \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/argilla --shell /usr/sbin/nologin argilla \
    && mkdir -p /var/lib/argilla \
    && chown 10001:10001 /var/lib/argilla
# Only the virtual environment crosses over: no wheels, no pip, no build backend in the final image.
COPY --from=build /opt/argilla-maint /opt/argilla-maint
ENV PATH=/opt/argilla-maint/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    ARGILLA_HOME_PATH=/var/lib/argilla \
    ARGILLA_MAINT_HOST=0.0.0.0 \
    ARGILLA_MAINT_PORT=6910 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
WORKDIR /var/lib/argilla
EXPOSE 6910
STOPSIGNAL SIGTERM
ENTRYPOINT ["argilla-maint"]
CMD ["serve"]
