#!/usr/bin/env node
// strata-operator: runs the compiled Kubernetes operator (`npm run build` first).
import '../dist/operator/src/main.js';
