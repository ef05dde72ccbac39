# mockserver: the mock of the ERP API as a container, for CI service containers and local use.
#
#   docker build -t mockserver .
#   docker run --rm -p 8080:8080 mockserver            # http://localhost:8080/docs
#
# Configure it only with MOCKSERVER_* variables (the same as `mockserver serve --help` lists)
# and mounted folders: your scenarios at /scenarios, the record files they refer to at
# /fixtures. A scenario name (MOCKSERVER_SCENARIO=flaky-5xx) is looked up in /scenarios first,
# then among the examples the package ships (`mockserver scenarios` lists them).
# docs/ci.md has examples for GitHub Actions, GitLab CI and docker compose.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# Build stage: the locked dependencies (requirements/runtime.lock, hashes checked, wheels only),
# then the package itself, into a virtual environment. The lock holds the redis extra too
# (redis-py), so that one image serves alone (MOCKSERVER_STATE=memory, the default) or as a
# replica of a fleet (MOCKSERVER_STATE=redis://HOST:PORT/DB, MOCKSERVER_WORKERS=N). The package
# goes in with --no-deps, naming its extra: every dependency is the lock's, pip check proves
# they satisfy the package's requirements, and the import proves the extra's client is there.
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY requirements/runtime.lock ./requirements/
RUN python -m venv /opt/mockserver \
    && /opt/mockserver/bin/pip install --require-hashes --only-binary=:all: -r requirements/runtime.lock
COPY pyproject.toml README.md ./
COPY mockserver ./mockserver
RUN /opt/mockserver/bin/pip install --no-deps ".[redis]" \
    && /opt/mockserver/bin/pip check \
    && /opt/mockserver/bin/python -c "import redis.asyncio" \
    && /opt/mockserver/bin/pip uninstall --yes pip setuptools

# Final stage: the base image and the environment (the package carries its example scenarios
# and their fixtures); no compiler, no pip.
FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 mockserver \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin mockserver
COPY --from=build /opt/mockserver /opt/mockserver
ENV PATH=/opt/mockserver/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MOCKSERVER_HOST=0.0.0.0 \
    MOCKSERVER_PORT=8080 \
    MOCKSERVER_SCENARIOS_DIR=/scenarios
VOLUME ["/scenarios", "/fixtures"]
WORKDIR /scenarios
USER 10001:10001
EXPOSE 8080
# The image's own Python asks /health, which answers 200 only once the data and every
# scenario are loaded (503 before); urlopen raises on anything but a 2xx.
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=3 \
    CMD ["/opt/mockserver/bin/python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('MOCKSERVER_PORT', '8080') + '/health', timeout=2)"]
# Exec form: the server is PID 1 and receives SIGTERM itself; it finishes the requests in
# flight (2 s at most) and exits.
ENTRYPOINT ["/opt/mockserver/bin/mockserver", "serve"]
