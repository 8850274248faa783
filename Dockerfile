# syntax=docker/dockerfile:1
# Build stage: install the locked runtime dependencies and the package into a virtual environment.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/vclinic && /opt/vclinic/bin/pip install uv==0.13.8
COPY requirements/app.lock requirements/app.lock
RUN /opt/vclinic/bin/uv pip install --python /opt/vclinic/bin/python --require-hashes -r requirements/app.lock
COPY pyproject.toml README.md ./
COPY app app
COPY adapters adapters
COPY schemas schemas
RUN /opt/vclinic/bin/uv pip install --python /opt/vclinic/bin/python --no-deps . \
    && /opt/vclinic/bin/pip uninstall -y uv

# Runtime stage: no compilers, no sources beyond the installed package, a non-root user, no keys.
FROM python:3.11-slim
ENV PATH=/opt/vclinic/bin:$PATH PYTHONUNBUFFERED=1 VCLINIC_VAR_DIR=/var/lib/vclinic
RUN useradd --system --uid 10001 --home-dir /var/lib/vclinic --create-home vclinic
COPY --from=build /opt/vclinic /opt/vclinic
USER vclinic
WORKDIR /var/lib/vclinic
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"]
# Migrations run as a separate step (`vclinic migrate`) before a new version takes traffic.
CMD ["vclinic", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "4"]
