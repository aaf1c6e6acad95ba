# argilla-maintenance service image: `argilla-maint serve` on 0.0.0.0:6910, SQLite home in /var/lib/argilla.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY service ./service
COPY migrations ./migrations
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/argilla argilla \
    && mkdir -p /var/lib/argilla && chown argilla /var/lib/argilla
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
ENV ARGILLA_HOME_PATH=/var/lib/argilla \
    ARGILLA_MAINT_HOST=0.0.0.0 \
    ARGILLA_MAINT_PORT=6910 \
    PYTHONUNBUFFERED=1
USER 10001
EXPOSE 6910
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,os;urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"ARGILLA_MAINT_PORT\"]}/livez')"
ENTRYPOINT ["argilla-maint"]
CMD ["serve"]
