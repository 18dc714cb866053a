# syntax=docker/dockerfile:1
# The image the Helm chart runs: `vendor-errors` as a non-root numeric user. The default
# command is `run` (the Kafka processor); any other subcommand replaces it:
#   docker build -t vendor-errors:0.1.0 --build-arg VERSION=0.1.0 \
#     --build-arg REVISION="$(git rev-parse HEAD)" .
#   docker run -i --rm vendor-errors:0.1.0 scan - < app.log
# Two stages: the first builds a virtualenv with the project and its dependencies, the
# second copies only that virtualenv onto a clean slim Python, without pip, setuptools
# or compilers.

# Pinned by digest (python:3.11-slim-trixie, multi-platform index): the same bytes on every
# build. To update: `docker buildx imagetools inspect python:3.11-slim-trixie` and paste the
# index digest (or let Renovate/Dependabot do it).
ARG PYTHON_IMAGE=python:3.11-slim-trixie@sha256:9534e5a8e315485d4061ed659af0fd78a284c015f9b73661b41d6bab25604534

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
RUN python -m venv /opt/vendor-errors
COPY pyproject.toml README.md ./
# Installed, these folders become the one package vendor_errors (pyproject's package-dir).
COPY processor ./processor
COPY parsers ./parsers
COPY catalog ./catalog
# Every dependency ships wheels for CPython 3.11 on x86_64 and arm64, so nothing is compiled.
# The librdkafka extra (confluent-kafka, librdkafka inside its wheel) is the image's Kafka client.
RUN /opt/vendor-errors/bin/pip install --no-cache-dir ".[librdkafka]" \
    && /opt/vendor-errors/bin/pip uninstall --yes pip setuptools \
    && /opt/vendor-errors/bin/python -m compileall -q /opt/vendor-errors/lib

FROM ${PYTHON_IMAGE} AS runtime
# OCI annotations; VERSION follows pyproject.toml and the chart's appVersion (a test checks).
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=https://github.com/vendor-errors/vendor-errors
LABEL org.opencontainers.image.title="vendor-errors" \
      org.opencontainers.image.description="Finds, attributes and enriches messaging-vendor error codes in application logs on Kafka" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11-slim-trixie"
# The final stage needs no package manager for Python packages: drop the base image's.
RUN python -m pip uninstall --yes --root-user-action=ignore pip setuptools wheel \
    && groupadd --gid 10001 vendor-errors \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin vendor-errors
COPY --from=build /opt/vendor-errors /opt/vendor-errors
# Bytecode was compiled in the build stage; the root filesystem is read-only in Kubernetes.
# kafka.client: librdkafka (several times kafka-python's rate, and no producer child process:
# docs/operations.md); the chart sets the same variable from its `kafka.client` value.
ENV PATH=/opt/vendor-errors/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VENDOR_ERRORS_KAFKA__CLIENT=librdkafka
USER 10001:10001
EXPOSE 9464
# Settings come from --config FILE (the chart passes `run --config` and its ConfigMap) and
# VENDOR_ERRORS_* variables. Exec form, so SIGTERM reaches the processor.
ENTRYPOINT ["vendor-errors"]
CMD ["run"]
