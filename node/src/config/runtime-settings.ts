import { StrataError } from '../platform/errors.js';
import type { SettingsAdmin } from '../ports/log-admin.js';
import { KEYS } from './config-schema.js';
import { CONFIG_LOG_LEVELS, type ConfigLogLevel } from './strata-config.js';

export interface RuntimeSettingsOptions {
  /** The level the node started with (after STRATA_LOG_LEVEL and --log-level). */
  logLevel: ConfigLogLevel;
  /** Changes the running logger's level (createPinoLogger's setLevel). */
  setLogLevel: (level: ConfigLogLevel) => void;
}

/**
 * `strata config set KEY VALUE` on one node. Only log_level changes at run time; every other key of
 * strata.toml is read at start, and is refused with a message that says so rather than half-applied.
 * The change lasts until the process ends: the file stays the source of truth across restarts.
 */
export class RuntimeSettings implements SettingsAdmin {
  private logLevel: ConfigLogLevel;

  constructor(private readonly options: RuntimeSettingsOptions) {
    this.logLevel = options.logLevel;
  }

  get currentLogLevel(): ConfigLogLevel {
    return this.logLevel;
  }

  async setSetting(key: string, value: string): Promise<{ key: string; value: string; previous: string }> {
    if (key === 'log_level') {
      const level = value.trim().toLowerCase();
      if (!(CONFIG_LOG_LEVELS as readonly string[]).includes(level)) {
        throw new StrataError('InvalidArgument', `log_level: expected one of ${CONFIG_LOG_LEVELS.join('|')}, got ${JSON.stringify(value)}`, {
          details: { key, value },
        });
      }
      const previous = this.logLevel;
      this.options.setLogLevel(level as ConfigLogLevel);
      this.logLevel = level as ConfigLogLevel;
      return { key, value: level, previous };
    }
    const known = KEYS.find((k) => k.dotted === key);
    if (known !== undefined) {
      throw new StrataError('InvalidArgument', `${key} is read at start and cannot change at run time: edit strata.toml and restart the node`, {
        details: { key, reason: 'ReadAtStart' },
      });
    }
    throw new StrataError('InvalidArgument', `unknown setting ${JSON.stringify(key)}; the only one that changes at run time is log_level`, {
      details: { key, reason: 'UnknownSetting' },
    });
  }
}
