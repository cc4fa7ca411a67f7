import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS, missingServerNodeFlags } from './server-node-flags.js';

describe('server node flags', () => {
  it('are all in the shebang of bin/strata-server.js, which users and the container image run', () => {
    const shebang = readFileSync(new URL('../../../../bin/strata-server.js', import.meta.url), 'utf8').split('\n')[0];
    expect(shebang.startsWith('#!/usr/bin/env -S node ')).toBe(true);
    const flags = shebang.split(' ').slice(3);
    expect(missingServerNodeFlags(flags)).toEqual([]);
  });

  it('names the ones a process was started without', () => {
    expect(missingServerNodeFlags(['--enable-source-maps'])).toEqual([...SERVER_NODE_FLAGS]);
    expect(missingServerNodeFlags([...SERVER_NODE_FLAGS, '--inspect'])).toEqual([]);
  });
});
