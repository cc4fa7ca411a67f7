/**
 * Structural checks of the StrataCluster CRD: a well-formed structural schema, a description on every
 * property (so `kubectl explain` helps), CEL rules that look like CEL and name their field, and the schema
 * in step with operator/src/api (field lists, defaults, enums) and with the server's config keys.
 * The API server itself checks the rules in e2e/api/crd-validation.test.ts.
 */
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import * as api from '../operator/src/api/strata-cluster.js';
import { SPEC_DEFAULTS } from '../operator/src/api/defaults.js';
import { KEYS } from '../node/src/config/config-schema.js';
import { CONFIG_COMPRESSIONS, CONFIG_LOG_LEVELS } from '../node/src/config/strata-config.js';
import { parseSizeBytes } from '../node/src/config/size.js';
import { parseDurationMs } from '../node/src/config/duration.js';
import { cronShapeProblem } from '../node/src/config/cron-shape.js';

interface Schema {
  type?: string;
  description?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  pattern?: string;
  anyOf?: Schema[];
  'x-kubernetes-validations'?: { rule: string; message?: string }[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
}

const crd = load(readFileSync(new URL('./strata.io_strataclusters.yaml', import.meta.url), 'utf8')) as {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    group: string;
    scope: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames: string[] };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources: { status: object; scale: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string } };
      additionalPrinterColumns: { name: string; type: string; jsonPath: string }[];
      schema: { openAPIV3Schema: Schema };
    }[];
  };
};
const version = crd.spec.versions[0];
const root = version.schema.openAPIV3Schema;

/** Every schema node with its JSON path (`spec.drain[]`, `spec.resources.limits{}`). */
function walk(schema: Schema, path: string, visit: (s: Schema, path: string) => void): void {
  visit(schema, path);
  for (const [name, child] of Object.entries(schema.properties ?? {})) walk(child, path === '' ? name : `${path}.${name}`, visit);
  if (schema.items !== undefined) walk(schema.items, `${path}[]`, visit);
  if (typeof schema.additionalProperties === 'object') walk(schema.additionalProperties, `${path}{}`, visit);
}

function at(path: string): Schema {
  let node = root;
  for (const part of path.split('.')) {
    const name = part.replace(/\[\]$/, '');
    node = node.properties?.[name] as Schema;
    expect(node, path).toBeDefined();
    if (part.endsWith('[]')) node = node.items as Schema;
  }
  return node;
}

const allNodes: { schema: Schema; path: string }[] = [];
walk(root, '', (schema, path) => allNodes.push({ schema, path }));

describe('CRD identity', () => {
  it('matches the api constants', () => {
    expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
    expect(crd.kind).toBe('CustomResourceDefinition');
    expect(crd.metadata.name).toBe(api.STRATA_CRD_NAME);
    expect(crd.spec.group).toBe(api.STRATA_GROUP);
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names).toEqual({
      kind: api.STRATA_KIND,
      listKind: api.STRATA_LIST_KIND,
      plural: api.STRATA_PLURAL,
      singular: api.STRATA_SINGULAR,
      shortNames: [api.STRATA_SHORT_NAME],
    });
    expect(crd.spec.versions).toHaveLength(1);
    expect(version).toMatchObject({ name: api.STRATA_VERSION, served: true, storage: true });
  });

  it('has the status and scale subresources, pointing at schema fields', () => {
    expect(version.subresources.status).toEqual({});
    const scale = version.subresources.scale;
    expect(scale).toEqual({ specReplicasPath: '.spec.nodes', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' });
    expect(at('spec.nodes').type).toBe('integer');
    expect(at('status.replicas').type).toBe('integer');
    expect(at('status.selector').type).toBe('string');
  });

  it('prints Phase, Nodes, Ready, Leader, Version, Age from existing fields', () => {
    const columns = version.additionalPrinterColumns;
    expect(columns.map((c) => c.name)).toEqual(['Phase', 'Nodes', 'Ready', 'Leader', 'Version', 'Age']);
    for (const column of columns) {
      if (column.jsonPath === '.metadata.creationTimestamp') continue;
      const field = at(column.jsonPath.slice(1));
      expect(field.type, column.name).toBe(column.type);
    }
  });
});

describe('CRD schema is structural and explained', () => {
  it('every property has a description', () => {
    // metadata may carry nothing but its type (the API server refuses more).
    const missing = allNodes.filter(({ schema, path }) => path !== '' && path !== 'metadata' && !path.endsWith('{}') && !schema.description?.trim());
    expect(root.properties?.metadata).toEqual({ type: 'object' });
    expect(missing.map((m) => m.path)).toEqual([]);
    expect(allNodes.length).toBeGreaterThan(100);
  });

  it('every node has a type, or is int-or-string, or preserves unknown fields', () => {
    const untyped = allNodes.filter(
      ({ schema }) => schema.type === undefined && !schema['x-kubernetes-int-or-string'] && !schema['x-kubernetes-preserve-unknown-fields'],
    );
    expect(untyped.map((u) => u.path)).toEqual([]);
  });

  it('never mixes properties and additionalProperties, and anyOf only for int-or-string', () => {
    for (const { schema, path } of allNodes) {
      expect(schema.properties !== undefined && schema.additionalProperties !== undefined, path).toBe(false);
      if (schema.anyOf !== undefined) {
        expect(schema['x-kubernetes-int-or-string'], path).toBe(true);
        expect(schema.anyOf, path).toEqual([{ type: 'integer' }, { type: 'string' }]);
      }
    }
  });

  it('required fields exist', () => {
    for (const { schema, path } of allNodes) {
      for (const name of schema.required ?? []) expect(schema.properties?.[name], `${path}.${name}`).toBeDefined();
    }
  });

  it('list types: drain is a set, conditions and nodes are maps keyed by a required field', () => {
    expect(at('spec.drain')['x-kubernetes-list-type']).toBe('set');
    for (const [path, key] of [['status.conditions', 'type'], ['status.nodes', 'name']] as const) {
      const list = at(path);
      expect(list['x-kubernetes-list-type']).toBe('map');
      expect(list['x-kubernetes-list-map-keys']).toEqual([key]);
      expect(list.items?.required).toContain(key);
    }
  });

  it('patterns compile', () => {
    for (const { schema, path } of allNodes) if (schema.pattern !== undefined) expect(() => new RegExp(schema.pattern as string), path).not.toThrow();
  });
});

describe('CEL rules', () => {
  const rules = allNodes.flatMap(({ schema, path }) => (schema['x-kubernetes-validations'] ?? []).map((r) => ({ ...r, path })));

  it('exist where the API promises them', () => {
    const paths = rules.map((r) => r.path);
    expect(paths).toEqual(expect.arrayContaining(['spec', 'spec.erasure.dataShards', 'spec.erasure.parityShards', 'spec.storage.size', 'spec.s3.port']));
  });

  it.each(rules.map((r) => [r.path, r.rule, r.message] as const))('%s: %s', (path, rule, message) => {
    // Parse-looking: balanced brackets outside string literals, only self/oldSelf as roots, no JS-isms.
    const code = rule.replace(/'[^']*'|"[^"]*"/g, "''");
    let depth = 0;
    for (const ch of code) {
      if ('([{'.includes(ch)) depth++;
      if (')]}'.includes(ch)) depth--;
      expect(depth, rule).toBeGreaterThanOrEqual(0);
    }
    expect(depth, rule).toBe(0);
    expect(code).not.toMatch(/===|!==|\bnull\b|\bundefined\b|=>|;/);
    expect(code).toMatch(/\bself\b/);
    expect(code.match(/(?<![.\w])[a-z][A-Za-z_]*\.(?=[a-z])/g)?.every((m) => ['self.', 'oldSelf.', 'n.'].includes(m)) ?? true, rule).toBe(true);
    // The refusal names the field: the message starts from `spec.` and mentions the path's last part.
    expect(message, rule).toMatch(/^spec\./);
    const leaf = path.split('.').pop() as string;
    if (path !== 'spec') expect(message).toContain(leaf === 'storage' ? 'storageClassName' : leaf);
  });

  it('transition rules (oldSelf) only on fields that always exist or compare presence', () => {
    for (const r of rules.filter((x) => x.rule.includes('oldSelf'))) {
      const field = at(r.path);
      const ok = field.default !== undefined || r.rule.includes('has(oldSelf');
      expect(ok, `${r.path}: ${r.rule}`).toBe(true);
    }
  });

  it('list rules have bounded lists and strings (CEL cost)', () => {
    const drain = at('spec.drain');
    expect(drain['maxItems' as keyof Schema]).toBe(64);
    expect(drain.items?.['maxLength' as keyof Schema]).toBeDefined();
  });
});

describe('CRD in step with operator/src/api', () => {
  it.each(Object.entries(api.FIELD_LISTS))('%s has exactly the fields of its type', (path, fields) => {
    expect(Object.keys(at(path).properties ?? {}).sort()).toEqual([...fields].sort());
  });

  it('every object in spec and status is covered by a field list', () => {
    const objects = allNodes
      .filter(({ schema, path }) => /^(spec|status)/.test(path) && schema.properties !== undefined)
      .map(({ path }) => path)
      .filter((p) => !/^spec\.(tolerations|topologySpreadConstraints|resources)/.test(p));
    expect(objects.sort()).toEqual(Object.keys(api.FIELD_LISTS).sort());
  });

  it('defaults equal SPEC_DEFAULTS, and every scalar default is listed there', () => {
    const schemaDefaults: Record<string, unknown> = {};
    walk(at('spec'), '', (schema, path) => {
      if (schema.default !== undefined && schema.type !== 'object') schemaDefaults[path] = schema.default;
    });
    expect(schemaDefaults).toEqual({ ...SPEC_DEFAULTS });
  });

  it('enums match the api constants', () => {
    expect(at('status.phase').enum).toEqual([...api.PHASES]);
    expect(at('status.conditions[].type').enum).toEqual([...api.CONDITION_TYPES]);
    expect(at('status.conditions[].status').enum).toEqual([...api.CONDITION_STATUSES]);
    expect(at('status.nodes[].state').enum).toEqual([...api.NODE_STATES]);
    expect(at('status.nodes[].raftRole').enum).toEqual([...api.RAFT_ROLES]);
    expect(at('spec.s3.serviceType').enum).toEqual([...api.S3_SERVICE_TYPES]);
    expect(at('spec.upgrade.strategy').enum).toEqual([...api.UPGRADE_STRATEGIES]);
  });

  it('drain names follow the node naming', () => {
    const pattern = new RegExp(at('spec.drain').items?.pattern as string);
    expect(['node-1', 'node-64'].every((n) => pattern.test(n))).toBe(true);
    expect(['node-0', 'node-01', 'strata-0', 'node-'].some((n) => pattern.test(n))).toBe(false);
  });
});

describe('spec.config matches the server config keys', () => {
  const sections = ['data', 'metadata', 'storage', 'network', 'scrub'] as const;

  it.each(sections)('[%s] has exactly the keys of config-schema (erasure keys come from spec.erasure)', (section) => {
    const want = KEYS.filter((k) => k.section === section && !k.key.startsWith('erasure_')).map((k) => k.key);
    expect(Object.keys(at(`spec.config.${section}`).properties ?? {}).sort()).toEqual(want.sort());
  });

  it('enums offer the server values', () => {
    expect(at('spec.config.log_level').enum).toEqual([...CONFIG_LOG_LEVELS]);
    expect(at('spec.config.data.compression').enum).toEqual([...CONFIG_COMPRESSIONS]);
  });

  const sizeFields = allNodes.filter(({ path, schema }) => path.startsWith('spec.config.') && schema['x-kubernetes-int-or-string']);
  const durationFields = allNodes.filter(({ path, schema }) => path.startsWith('spec.config.') && schema.type === 'string' && schema.pattern?.includes('ms|s|m|h'));

  it('size patterns agree with the server parser', () => {
    expect(sizeFields.length).toBeGreaterThanOrEqual(7);
    const samples = ['4GiB', '512MB', '64k', '1048576', '1.5GiB', '4 GiB', '10b', 'GiB', '4PiB', '-1', '4 parsecs', '1e9'];
    for (const { schema, path } of sizeFields) {
      const pattern = new RegExp(schema.pattern as string);
      for (const s of samples) expect(pattern.test(s), `${path} ${s}`).toBe(parseSizeBytes(s) !== undefined);
    }
  });

  it('duration patterns agree with the server parser', () => {
    expect(durationFields.length).toBeGreaterThanOrEqual(5);
    const samples = ['150ms', '1h30m', '1.5s', '168h', '0', '10us', '5', 'ms', '1d', '-1s', '1.s'];
    for (const { schema, path } of durationFields) {
      const pattern = new RegExp(schema.pattern as string);
      // 1.s is a Go duration the pattern does not accept; refusing it is the safe side.
      for (const s of samples.filter((x) => x !== '1.s')) expect(pattern.test(s), `${path} ${s}`).toBe(parseDurationMs(s) !== undefined);
    }
  });

  it('the backup schedule pattern accepts what the server cron check accepts, on samples', () => {
    const pattern = new RegExp(at('spec.backup.schedule').pattern as string);
    for (const s of ['0 2 * * *', '*/15 * * * mon-fri', '0 0 1 jan,jul *']) {
      expect(cronShapeProblem(s)).toBeUndefined();
      expect(pattern.test(s), s).toBe(true);
    }
    for (const s of ['@daily', '0 2 * *', '0 2 * * * *', '']) expect(pattern.test(s), s).toBe(false);
  });
});
