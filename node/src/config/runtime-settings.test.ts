import { describe, expect, it } from 'vitest';
import { RuntimeSettings } from './runtime-settings.js';
import type { ConfigLogLevel } from './strata-config.js';

function settings(): { s: RuntimeSettings; levels: ConfigLogLevel[] } {
  const levels: ConfigLogLevel[] = [];
  return { s: new RuntimeSettings({ logLevel: 'info', setLogLevel: (l) => levels.push(l) }), levels };
}

describe('RuntimeSettings', () => {
  it('changes log_level at run time and reports the previous level', async () => {
    const { s, levels } = settings();
    await expect(s.setSetting('log_level', 'debug')).resolves.toEqual({ key: 'log_level', value: 'debug', previous: 'info' });
    await expect(s.setSetting('log_level', 'WARN')).resolves.toEqual({ key: 'log_level', value: 'warn', previous: 'debug' });
    expect(levels).toEqual(['debug', 'warn']);
    expect(s.currentLogLevel).toBe('warn');
  });

  it('refuses a bad level without touching the logger', async () => {
    const { s, levels } = settings();
    await expect(s.setSetting('log_level', 'loud')).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('trace|debug|info|warn|error') });
    expect(levels).toEqual([]);
    expect(s.currentLogLevel).toBe('info');
  });

  it('refuses keys read at start, saying to edit strata.toml and restart', async () => {
    const { s } = settings();
    for (const key of ['data.cache_size', 'metadata.heartbeat_interval', 'scrub.throttle_mb_per_sec', 'data.compression']) {
      await expect(s.setSetting(key, '1')).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('edit strata.toml and restart'), details: { key } });
    }
  });

  it('refuses unknown keys by name', async () => {
    const { s } = settings();
    await expect(s.setSetting('loglevel', 'debug')).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('unknown setting "loglevel"') });
  });
});
