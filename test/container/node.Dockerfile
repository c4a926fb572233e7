# Stand-in for node:<version>-bookworm-slim (test fixture, never shipped): the official node binary
# from the npm registry's node-linux-<arch> package and npm, at the paths the official image uses.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}

COPY node.tgz npm.tgz /tmp/
RUN mkdir /tmp/node /usr/local/lib/node_modules /usr/local/lib/node_modules/npm \
  && tar -xzf /tmp/node.tgz -C /tmp/node --strip-components=1 \
  && install -m 0755 /tmp/node/bin/node /usr/local/bin/node \
  && tar -xzf /tmp/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1 \
  && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
  && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
  && rm -rf /tmp/node /tmp/node.tgz /tmp/npm.tgz \
  && node --version && npm --version

CMD ["node"]
