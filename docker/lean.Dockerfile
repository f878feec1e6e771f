# syntax=docker/dockerfile:1
# Verifier workers with a native Lean toolchain (elan + a Lake project, Mathlib optional):
# `prover worker verify`. Build context: the repository root (docker-compose.yml sets it).

FROM python:3.11-slim AS wheel
WORKDIR /src
COPY . .
RUN rm -rf build ./*.egg-info \
    && pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# python:3.11-slim is Debian (bookworm); Python 3.11 is what the package needs.
FROM python:3.11-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl git \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 prover \
    && mkdir -p /opt/elan /opt/lean-project && chown prover /opt/elan /opt/lean-project
ENV ELAN_HOME=/opt/elan
ENV PATH=/opt/elan/bin:$PATH
USER prover
RUN curl https://raw.githubusercontent.com/leanprover/elan/master/elan-init.sh -sSf \
    | sh -s -- -y --default-toolchain none --no-modify-path

# The toolchain comes from lean/project/lean-toolchain (elan installs it on first use).
COPY --chown=prover lean/project /opt/lean-project
WORKDIR /opt/lean-project
ARG MATHLIB=false
RUN if [ "$MATHLIB" = "true" ]; then \
        cp lakefile.mathlib.toml lakefile.toml && lake exe cache get && lake build; \
    else \
        lake build; \
    fi \
    && lean --version

USER root
COPY --from=wheel /wheels /wheels
RUN pip install --no-cache-dir /wheels/prover-*.whl && rm -rf /wheels
USER prover
WORKDIR /home/prover
ENV PROVER_LEAN_BACKEND=native \
    PROVER_LEAN_NATIVE_PROJECT=/opt/lean-project
CMD ["prover", "worker", "verify"]
