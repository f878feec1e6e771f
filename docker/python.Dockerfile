# syntax=docker/dockerfile:1
# API and search coordinators: `prover serve`, `prover worker search`.
# Build context: the repository root (docker-compose.yml sets it).

# Stage 1: a wheel of the checkout (whatever packages pyproject.toml finds), so the
# final image holds the installed package and not the build context.
FROM python:3.11-slim AS wheel
WORKDIR /src
COPY . .
RUN rm -rf build ./*.egg-info \
    && pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends redis-tools curl \
    && rm -rf /var/lib/apt/lists/*
# The CPU build of PyTorch first, so `.[model]` does not pull the CUDA wheels.
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu torch
COPY --from=wheel /wheels /wheels
RUN pip install --no-cache-dir "$(ls /wheels/prover-*.whl)[model]" && rm -rf /wheels
RUN useradd --create-home --uid 10001 prover \
    && mkdir /feedback && chown prover /feedback
USER prover
WORKDIR /home/prover
EXPOSE 8080
CMD ["prover", "serve", "--host", "0.0.0.0", "--port", "8080", "--no-workers"]
