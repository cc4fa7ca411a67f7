#!/usr/bin/env node
// strata-server: runs the compiled server (`npm run build` first).
import '../dist/node/src/main.js';
