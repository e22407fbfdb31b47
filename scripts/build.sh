#!/usr/bin/env bash
# Configures and builds baton in build/ (gcc, warnings as errors). Extra cmake -D options
# can be passed as arguments. Used by scripts/test.sh and scripts/demo.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DBATON_WERROR=ON "$@" >/dev/null
cmake --build build
