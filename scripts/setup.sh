#!/usr/bin/env bash
# One command that installs everything the tests need on a fresh Debian machine with Node 20:
# Debian packages, npm packages, and code-server (a real VS Code) for the e2e suite.
set -euo pipefail
cd "$(dirname "$0")/.."

# Node 20 or newer with npm is the one thing this script expects (Debian's own nodejs is older).
if ! command -v node >/dev/null || ! command -v npm >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "setup: Node 20 or newer with npm is needed (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "       Install it, e.g. from https://nodejs.org or https://github.com/nodesource/distributions, then run this again." >&2
  exit 1
fi

export ONNXRUNTIME_NODE_INSTALL=skip
# node-llama-cpp (bench/ only) uses its prebuilt CPU binary; its install step must not fetch or build one.
export NODE_LLAMA_CPP_SKIP_DOWNLOAD=true
export DEBIAN_FRONTEND=noninteractive

# Chromium (e2e, OCR fixtures), libkrb5-dev (code-server's native build), python3-torch/onnx
# (fixture regeneration check), python3-torchvision (preprocessing references), fonts the OCR
# evaluation set was rendered with and fontconfig (fc-list checks them), unzip (VSIX contents),
# strace and iproute2 (the network-namespace privacy test).
apt_packages=(chromium libkrb5-dev build-essential python3 python3-torch python3-torchvision python3-onnx fonts-dejavu-core fonts-liberation fontconfig unzip strace iproute2)
missing=()
for pkg in "${apt_packages[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_if_needed=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
      echo "setup: run as root, or install sudo: these Debian packages are missing: ${missing[*]}" >&2
      exit 1
    fi
    sudo_if_needed=(sudo)
  fi
  "${sudo_if_needed[@]}" apt-get update -qq
  "${sudo_if_needed[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

npm ci --no-audit --no-fund
# code-server for the e2e suite, in .cache/e2e-tools (or $LOUPE_E2E_TOOLS, where the tests look too).
bash scripts/install-code-server.sh
