#!/usr/bin/env node
// strata: the operator's CLI. Not built yet (issue 4).
process.stderr.write('strata: the CLI is not built yet (issue 4); use the admin API on port 9090 meanwhile\n');
process.exit(1);
