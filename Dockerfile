# syntax=docker/dockerfile:1
# The image the Helm chart runs: `vendor-errors run`, as a non-root numeric user.
#   docker build -t vendor-errors:0.1.0 .
# Two stages: the first builds a virtualenv with the project and its dependencies, the
# second copies only that virtualenv onto a clean slim Python, without pip, setuptools
# or compilers.

ARG PYTHON_IMAGE=python:3.11-slim-trixie

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
RUN python -m venv /opt/vendor-errors
COPY pyproject.toml README.md ./
COPY processor ./processor
COPY parsers ./parsers
COPY catalog ./catalog
# Every dependency ships wheels for CPython 3.11 on x86_64 and arm64, so nothing is compiled.
RUN /opt/vendor-errors/bin/pip install --no-cache-dir . \
    && /opt/vendor-errors/bin/pip uninstall --yes pip setuptools \
    && /opt/vendor-errors/bin/python -m compileall -q /opt/vendor-errors/lib

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="vendor-errors" \
      org.opencontainers.image.description="Finds, attributes and enriches messaging-vendor error codes in application logs on Kafka" \
      org.opencontainers.image.licenses="Apache-2.0"
# The final stage needs no package manager for Python packages: drop the base image's.
RUN python -m pip uninstall --yes --root-user-action=ignore pip setuptools wheel \
    && groupadd --gid 10001 vendor-errors \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin vendor-errors
COPY --from=build /opt/vendor-errors /opt/vendor-errors
# Bytecode was compiled in the build stage; the root filesystem is read-only in Kubernetes.
ENV PATH=/opt/vendor-errors/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001:10001
EXPOSE 9464
# Settings come from --config FILE (the chart passes its ConfigMap) and VENDOR_ERRORS_* variables.
ENTRYPOINT ["vendor-errors", "run"]
