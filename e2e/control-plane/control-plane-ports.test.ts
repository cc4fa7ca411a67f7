import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTROL_PLANE_PORTS } from './control-plane-ports.js';

describe('control-plane ports of the e2e files', () => {
  const all = Object.entries(CONTROL_PLANE_PORTS).flatMap(([file, block]) => Object.values(block).map((port) => ({ file, port: Number(port) })));

  it('are unique across files (two files run at a time)', () => {
    const owner = new Map<number, string>();
    const clashes: string[] = [];
    for (const { file, port } of all) {
      const first = owner.get(port);
      if (first !== undefined) clashes.push(`${port}: ${first} and ${file}`);
      else owner.set(port, file);
    }
    expect(clashes).toEqual([]);
  });

  it('stay below the ephemeral range (32768)', () => {
    expect(all.filter(({ port }) => !(port > 1024 && port < 32768))).toEqual([]);
  });

  it("give lifecycle start.sh's defaults", () => {
    const script = readFileSync(new URL('./start.sh', import.meta.url), 'utf8');
    for (const [name, port] of Object.entries(CONTROL_PLANE_PORTS.lifecycle)) {
      expect(script, name).toMatch(new RegExp(`\\$\\{${name}:-${port}\\}`));
    }
  });
});
