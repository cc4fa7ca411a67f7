# strata-server, the Strata node. Build from the repository root:
#   docker build -f images/node.Dockerfile -t ghcr.io/strata/strata-server:0.1.0 .
# The image also carries the `strata` CLI for kubectl exec.
ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: all dependencies (node-gyp builds the Reed-Solomon addon), compile, then drop dev dependencies.
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --engine-strict --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY node/src node/src
COPY operator/src operator/src
RUN npx tsc -p tsconfig.build.json \
 && npm prune --omit=dev --no-audit --no-fund

# --- runtime: production node_modules (with the built addon) and dist only; no compiler, no sources.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
# A numeric non-root user, so runAsNonRoot can verify it.
RUN groupadd --system --gid 10001 strata \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/strata --no-create-home --shell /usr/sbin/nologin strata \
 && mkdir -p /var/lib/strata /etc/strata \
 && chown 10001:10001 /var/lib/strata
WORKDIR /app
# package.json: "type": "module" makes dist/*.js ES modules.
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/node ./dist/node
COPY --chmod=0755 bin/strata-server.js bin/strata.js ./bin/
# On PATH: the operator's pod command runs `strata-server ...` through sh; `strata` serves kubectl exec.
RUN ln -s /app/bin/strata-server.js /usr/local/bin/strata-server \
 && ln -s /app/bin/strata.js /usr/local/bin/strata
USER 10001:10001
# cluster (gRPC), admin + /metrics + health, S3.
EXPOSE 9000 9090 9080
VOLUME ["/var/lib/strata"]
ENTRYPOINT ["strata-server"]
CMD ["--config", "/etc/strata/strata.toml"]
