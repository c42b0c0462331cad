#!/usr/bin/env bash
# Idempotent set-up: Debian packages (when root and missing), npm dependencies (when the lock changed),
# then a type check. Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t PKGS < <(grep -vE '^\s*(#|$)' scripts/debian-packages.txt)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages (run as root or install them): ${missing[*]}" >&2
  fi
fi

# npm ci only when the lock file changed since the last install (it deletes node_modules first).
stamp=node_modules/.vitrine-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -x node_modules/.bin/node ]; then
  echo "setup: npm ci" >&2
  # onnxruntime-node's postinstall would try to download CUDA binaries: skip it (the CPU build ships in the package).
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund >&2
  echo "$want" > "$stamp"
fi

export PATH="$PWD/node_modules/.bin:$PATH"
node --version >/dev/null
echo "setup: type check" >&2
npx tsc --noEmit -p tsconfig.json >&2
if [ -f web/package.json ] || [ -f web/vite.config.ts ]; then
  echo "setup: building the web UI" >&2
  npx vite build web --logLevel warn >&2
fi
echo "setup: done (Node $(node --version))" >&2
