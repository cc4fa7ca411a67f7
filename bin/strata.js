#!/usr/bin/env node
// strata: the operator's CLI (`npm run build` first). Talks to the admin API of any node (port 9090).
import '../dist/node/src/cli/main.js';
