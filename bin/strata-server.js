#!/usr/bin/env -S node --no-memory-reducer
// strata-server: runs the compiled server (`npm run build` first). The node flags above are
// node/src/platform/real/server-node-flags.ts's (decision 0028).
import '../dist/node/src/main.js';
