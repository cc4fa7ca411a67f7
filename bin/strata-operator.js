#!/usr/bin/env node
// strata-operator: the Kubernetes operator. Not built yet (issue 5).
process.stderr.write('strata-operator: not built yet (issue 5)\n');
process.exit(1);
