import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { StrataError } from '../platform/errors.js';
import { KEYS, SECTIONS, keysOf, type SectionName } from './config-schema.js';
import { consistencyProblem } from './consistency.js';
import { closestMatch } from './did-you-mean.js';
import { describeValue } from './decoders.js';
import { defaultConfig, type StrataConfig } from './strata-config.js';

/** The one way config errors are reported: a one-line message naming the source and the dotted key. */
export function configError(sourceName: string, dotted: string, problem: string, cause?: unknown): StrataError {
  return new StrataError('InvalidConfig', `${sourceName}: ${dotted}: ${problem}`, { cause, details: { source: sourceName, key: dotted } });
}

/**
 * Parses and validates a TOML configuration: defaults for missing keys, StrataError('InvalidConfig')
 * for anything unknown, mistyped or inconsistent. `sourceName` (usually the file name) starts every message.
 */
export function parseConfig(tomlText: string, sourceName: string): StrataConfig {
  let document: Record<string, unknown>;
  try {
    document = parseToml(tomlText);
  } catch (err) {
    if (err instanceof TomlError) {
      // smol-toml's message spans several lines (it draws the code); keep only the first.
      const reason = err.message.split('\n')[0].replace(/^Invalid TOML document: /, '');
      throw new StrataError('InvalidConfig', `${sourceName}:${err.line}:${err.column}: invalid TOML: ${reason}`, {
        cause: err,
        details: { source: sourceName, line: err.line, column: err.column },
      });
    }
    throw err;
  }

  const config = defaultConfig();
  for (const [name, value] of Object.entries(document)) {
    if ((SECTIONS as readonly string[]).includes(name)) {
      applySection(config, name as SectionName, value, sourceName);
    } else {
      applyKey(config, '', name, value, sourceName);
    }
  }
  const problem = consistencyProblem(config);
  if (problem !== undefined) throw configError(sourceName, problem.dotted, problem.message);
  return config;
}

/** Reads and parses a file; the message names the file by its base name, as operators see it. */
export async function loadConfigFile(path: string): Promise<StrataConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new StrataError('InvalidConfig', `${path}: cannot read the configuration file (${code})`, { cause: err, details: { source: path } });
  }
  return parseConfig(text, basename(path));
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function applySection(config: StrataConfig, section: SectionName, value: unknown, sourceName: string): void {
  if (!isTable(value)) {
    throw configError(sourceName, section, `expected a table [${section}], got ${describeValue(value)}`);
  }
  for (const [key, raw] of Object.entries(value)) applyKey(config, section, key, raw, sourceName);
}

function applyKey(config: StrataConfig, section: SectionName | '', key: string, raw: unknown, sourceName: string): void {
  const dotted = section === '' ? key : `${section}.${key}`;
  const spec = keysOf(section).find((k) => k.key === key);
  if (spec === undefined) throw configError(sourceName, dotted, unknownHint(section, key, raw));
  const result = spec.apply(config, raw);
  if (!result.ok) throw configError(sourceName, dotted, `expected ${result.expected}, got ${describeValue(raw)}`);
}

function unknownHint(section: SectionName | '', key: string, raw: unknown): string {
  if (section === '' && isTable(raw)) {
    const near = closestMatch(key, SECTIONS);
    return `unknown section [${key}]${near === undefined ? '' : ` (did you mean [${near}]?)`}; sections are ${SECTIONS.map((s) => `[${s}]`).join(' ')}`;
  }
  // A known key in the wrong section is the likeliest slip; then a typo within the section; then anywhere.
  const elsewhere = KEYS.find((k) => k.key === key && k.section !== section);
  if (elsewhere !== undefined && elsewhere.section === '') {
    return `unknown key (${key} is a top-level key: put it before the first [section])`;
  }
  const near =
    elsewhere?.dotted ??
    prefixed(section, closestMatch(key, keysOf(section).map((k) => k.key))) ??
    closestMatch(section === '' ? key : `${section}.${key}`, KEYS.map((k) => k.dotted));
  return `unknown key${near === undefined ? '' : ` (did you mean ${near}?)`}`;
}

function prefixed(section: SectionName | '', key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  return section === '' ? key : `${section}.${key}`;
}
