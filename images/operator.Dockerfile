# strata-operator, the Kubernetes operator. Build from the repository root:
#   docker build -f images/operator.Dockerfile -t ghcr.io/strata/strata-operator:0.1.0 .
ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: same compile as the node image (tsconfig.build.json builds node/src and operator/src together).
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

# --- runtime: the operator imports operator/ plus node/src/client and node/src/platform, so dist/ is copied
# whole (it is small); production node_modules only.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
RUN groupadd --system --gid 10001 strata \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin strata
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --chmod=0755 bin/strata-operator.js ./bin/
RUN ln -s /app/bin/strata-operator.js /usr/local/bin/strata-operator
USER 10001:10001
# metrics, health (/healthz, /readyz).
EXPOSE 8080 8081
ENTRYPOINT ["strata-operator"]
