# syntax=docker/dockerfile:1
# Mooring controller image.
#   docker build -t ghcr.io/mooring-dev/mooring:0.1.0 .
# The base is pinned by tag (Node 22 LTS on Debian bookworm); pin it by digest too in release
# builds (FROM node:22.12.0-bookworm-slim@sha256:…).
ARG NODE_IMAGE=node:22.12.0-bookworm-slim

# --- build: all dependencies, compile TypeScript to dist/ ---------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- deps: production dependencies only ------------------------------------------------------------
# --ignore-scripts: the only install scripts are optional native accelerators of ssh2
# (cpu-features, sshcrypto); ssh2 uses Node's crypto without them, and the image has no compiler.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

# --- runtime -------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
# git: the default Git backend (--git-backend auto uses it when found); openssh-client: ssh for
# git over SSH; ca-certificates: HTTPS Git hosts.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json README.md ./
COPY crds ./crds
COPY config ./config
RUN mkdir /data && chown 65534:65534 /data
# HOME: git and ssh read their configuration there; the root filesystem is read-only in the
# Deployment (config/manager), /tmp is an emptyDir. /data is the artifact storage (--storage-path).
ENV NODE_ENV=production \
    HOME=/tmp
USER 65534:65534
EXPOSE 8080 9090 9292 9440
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["controller"]
