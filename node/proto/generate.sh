#!/usr/bin/env bash
# Regenerate node/src/transport/grpc/generated/ from the .proto files here (lint first, then generate).
# Needs only the npm devDependencies (@bufbuild/buf, ts-proto): no protoc.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export PATH="$root/node_modules/.bin:$PATH"
cd "$here"
buf lint
buf generate
echo "generated into $(cd "$here/../src/transport/grpc/generated" && pwd)"
