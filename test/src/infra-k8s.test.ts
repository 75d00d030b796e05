import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { type CelInput, run } from '@bufbuild/cel';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  allContainers,
  asObject,
  baselineViolations,
  capsAdded,
  capsDropped,
  INFRA,
  isObject,
  isPinnedImage,
  type JsonObject,
  looksLikeSecretValue,
  parseYamlDocuments,
  readYamlDocuments,
  restrictedViolations,
  SECRET_NAME,
  toCel,
  yamlFiles,
} from './infra-checks.ts';

// The Kubernetes manifests (infra/k8s): every object valid against the Kubernetes API schemas
// (kubernetes-models), and the security properties they exist to have, checked the way Pod
// Security Admission and the manifests' own ValidatingAdmissionPolicies would.

type Manifest = { file: string; object: JsonObject };
type Model = new (data: unknown) => { validate(): void };

const RESTRICTED_NS = 'synack';
const RUNNER_NS = 'synack-runners';
const AGENT_NS = 'synack-agent';

function loadManifests(): Manifest[] {
  return yamlFiles('k8s')
    .filter((file) => basename(file) !== 'kustomization.yaml')
    .flatMap((file) => readYamlDocuments(file).map((doc) => ({ file, object: asObject(doc, file) })));
}

/** The kubernetes-models class of an object, by its apiVersion and kind. */
async function modelOf(object: JsonObject): Promise<Model> {
  const apiVersion = String(object.apiVersion);
  const kind = String(object.kind);
  const module = (await import(/* @vite-ignore */ `kubernetes-models/${apiVersion}/${kind}`)) as Record<string, Model>;
  const model = module[kind];
  if (!model) throw new Error(`kubernetes-models has no ${apiVersion} ${kind}`);
  return model;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/** Workloads, each with its pod (the template as a Pod object would carry it). */
function pods(manifests: readonly Manifest[]) {
  return manifests
    .filter((m) => WORKLOADS.has(String(m.object.kind)))
    .map((m) => {
      const metadata = asObject(m.object.metadata, 'metadata');
      const template = asObject(asObject(m.object.spec, 'spec').template, 'template');
      return {
        name: `${String(m.object.kind)} ${String(metadata.namespace)}/${String(metadata.name)}`,
        namespace: String(metadata.namespace),
        workload: m.object,
        pod: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: template.metadata ?? {},
          spec: asObject(template.spec, 'spec'),
        },
      };
    });
}

/** The policy's validations that `pod` fails (their messages); empty when it is admitted. */
function denials(policy: JsonObject, pod: unknown): string[] {
  const validations = asObject(policy.spec, 'spec').validations as JsonObject[];
  return validations
    .filter((v) => run(String(v.expression), { object: toCel(pod) as CelInput }) !== true)
    .map((v) => String(v.message));
}

describe('infra/k8s', () => {
  let manifests: Manifest[];
  beforeAll(() => {
    manifests = loadManifests();
  });
  const byKind = (kind: string) => manifests.filter((m) => m.object.kind === kind).map((m) => m.object);
  const named = (kind: string, name: string) => {
    const found = byKind(kind).find((o) => asObject(o.metadata, 'metadata').name === name);
    if (!found) throw new Error(`no ${kind} ${name}`);
    return found;
  };

  it('parses every file, and validates every object against the Kubernetes API schemas', async () => {
    expect(manifests.length).toBeGreaterThanOrEqual(15);
    for (const { file, object } of manifests) {
      const Model = await modelOf(object);
      expect(() => new Model(object).validate(), `${basename(file)} ${String(object.kind)}`).not.toThrow();
    }
  });

  it('rejects objects the API would refuse (the validator bites)', async () => {
    const deployment = structuredClone(named('Deployment', 'synack-collector'));
    const Model = await modelOf(deployment);
    const pod = asObject(asObject(asObject(deployment.spec, 'spec').template, 't').spec, 'spec');
    asObject(pod.securityContext, 'sc').runAsUser = 'root';
    expect(() => new Model(deployment).validate()).toThrow(/runAsUser/);
    const noSelector = structuredClone(named('Deployment', 'synack-scheduler'));
    delete asObject(noSelector.spec, 'spec').selector;
    expect(() => new Model(noSelector).validate()).toThrow(/selector/);
  });

  it('lists every manifest in kustomization.yaml', () => {
    const kustomization = asObject(readYamlDocuments(`${INFRA}k8s/kustomization.yaml`)[0], 'kustomization');
    const listed = [...(kustomization.resources as string[])].sort();
    const files = [...new Set(manifests.map((m) => basename(m.file)))].sort();
    expect(listed).toEqual(files);
  });

  it('labels the namespaces: restricted for synack, privileged only where a pod needs it', () => {
    const labels = (name: string) => asObject(asObject(named('Namespace', name).metadata, 'm').labels, 'labels');
    expect(labels(RESTRICTED_NS)).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
    expect(labels(RUNNER_NS)['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(labels(AGENT_NS)['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(byKind('Namespace')).toHaveLength(3);
    const namespaces = new Set([RESTRICTED_NS, RUNNER_NS, AGENT_NS]);
    const clusterScoped = new Set(['Namespace', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
    for (const { object } of manifests) {
      const namespace = asObject(object.metadata, 'metadata').namespace;
      if (clusterScoped.has(String(object.kind))) expect(namespace).toBeUndefined();
      else expect(namespaces.has(String(namespace)), `${String(object.kind)} in ${String(namespace)}`).toBe(true);
    }
  });

  it('keeps every pod in namespace synack at the restricted level', () => {
    const restricted = pods(manifests).filter((p) => p.namespace === RESTRICTED_NS);
    expect(restricted.map((p) => p.name).sort()).toEqual([
      'Deployment synack/synack-collector',
      'Deployment synack/synack-scheduler',
      'StatefulSet synack/synack-redis',
    ]);
    for (const { name, pod } of restricted) expect(restrictedViolations(pod.spec), name).toEqual([]);
  });

  it('checks the Pod Security rules as written (the checker bites)', () => {
    const spec = structuredClone(pods(manifests).find((p) => p.namespace === RESTRICTED_NS)?.pod.spec) as JsonObject;
    delete asObject(spec.securityContext, 'sc').seccompProfile;
    asObject(spec.securityContext, 'sc').runAsNonRoot = false;
    const container = asObject((spec.containers as JsonObject[])[0], 'c');
    asObject(container.securityContext, 'sc').allowPrivilegeEscalation = true;
    asObject(asObject(container.securityContext, 'sc').capabilities, 'caps').add = ['NET_RAW'];
    spec.hostNetwork = true;
    spec.volumes = [...((spec.volumes as JsonObject[]) ?? []), { name: 'h', hostPath: { path: '/' } }];
    const found = restrictedViolations(spec).join('\n');
    for (const rule of [
      'seccomp',
      'runAsNonRoot',
      'allowPrivilegeEscalation',
      'adds NET_RAW',
      'hostNetwork',
      'hostPath',
    ])
      expect(found).toContain(rule);
    expect(baselineViolations(spec).join('\n')).toContain('capability');
  });

  it('runs runners as root with every capability dropped but NET_RAW, otherwise at baseline', () => {
    const runners = pods(manifests).filter((p) => p.namespace === RUNNER_NS);
    expect(runners.length).toBeGreaterThanOrEqual(2);
    const regions = runners.map(({ pod }) => {
      const args = asObject((pod.spec.containers as JsonObject[])[0], 'c').args as string[];
      return args[args.indexOf('--region') + 1];
    });
    expect(new Set(regions).size).toBe(runners.length);
    for (const { name, pod } of runners) {
      const containers = allContainers(pod.spec);
      expect(containers, name).toHaveLength(1);
      const { container } = containers[0] as { container: JsonObject };
      const sc = asObject(container.securityContext, 'securityContext');
      expect(sc, name).toMatchObject({ runAsUser: 0, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
      expect(capsDropped(container), name).toEqual(['ALL']);
      expect(capsAdded(container), name).toEqual(['NET_RAW']);
      expect(baselineViolations(pod.spec), name).toEqual([`capability: containers[0] runner adds NET_RAW`]);
      expect(JSON.stringify(pod.spec), `${name} gets no secret`).not.toContain('secret');
    }
  });

  it('gives the agent the host network, NET_ADMIN, tracefs, and nothing else', () => {
    const agents = pods(manifests).filter((p) => p.namespace === AGENT_NS);
    expect(agents.map((a) => String(a.workload.kind))).toEqual(['DaemonSet']);
    const { pod } = agents[0] as (typeof agents)[number];
    expect(pod.spec.hostNetwork).toBe(true);
    expect(pod.spec.hostPID).toBeUndefined();
    expect(pod.spec.hostIPC).toBeUndefined();
    const hostPaths = (pod.spec.volumes as JsonObject[]).filter((v) => v.hostPath !== undefined);
    expect(hostPaths.map((v) => v.hostPath)).toEqual([{ path: '/sys/kernel/tracing', type: 'Directory' }]);
    for (const { where, container } of allContainers(pod.spec)) {
      const sc = asObject(container.securityContext, where);
      expect(sc.allowPrivilegeEscalation, where).toBe(false);
      expect(sc.readOnlyRootFilesystem, where).toBe(true);
      expect(sc.privileged, where).toBeUndefined();
      expect(capsDropped(container), where).toEqual(['ALL']);
      if (where.startsWith('initContainers')) {
        expect(sc.runAsNonRoot, where).toBe(true);
        expect(capsAdded(container), where).toEqual([]);
      } else {
        expect(sc.runAsUser, where).toBe(0);
        expect(capsAdded(container), where).toEqual(['NET_ADMIN']);
      }
    }
    const expected = [
      'host namespaces: hostNetwork',
      'AppArmor: containers[0] agent Unconfined',
      'capability: containers[0] agent adds NET_ADMIN',
      'hostPath volume: tracefs',
    ];
    expect(baselineViolations(pod.spec).sort()).toEqual(expected.sort());
  });

  it('admits synack pods and refuses others in the privileged namespaces (ValidatingAdmissionPolicy)', () => {
    const bindings = byKind('ValidatingAdmissionPolicyBinding');
    const bound = (namespace: string) => {
      const binding = bindings.find(
        (b) =>
          JSON.stringify(asObject(b.spec, 'spec').matchResources) ===
          JSON.stringify({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } }),
      );
      if (!binding) throw new Error(`no policy bound to ${namespace}`);
      expect(asObject(binding.spec, 'spec').validationActions).toEqual(['Deny']);
      return named('ValidatingAdmissionPolicy', String(asObject(binding.spec, 'spec').policyName));
    };
    const mutate = (pod: unknown, change: (spec: JsonObject, container: JsonObject) => void) => {
      const copy = structuredClone(pod) as { spec: JsonObject };
      change(copy.spec, asObject((copy.spec.containers as JsonObject[])[0], 'container'));
      return copy;
    };
    const sc = (c: JsonObject) => asObject(c.securityContext, 'securityContext');
    const caps = (c: JsonObject) => asObject(sc(c).capabilities, 'capabilities');
    const common: [string, (spec: JsonObject, c: JsonObject) => void][] = [
      [
        'privileged',
        (_, c) => {
          sc(c).privileged = true;
        },
      ],
      [
        'SYS_ADMIN',
        (_, c) => {
          caps(c).add = [...capsAdded(c), 'SYS_ADMIN'];
        },
      ],
      [
        'no drop ALL',
        (_, c) => {
          delete caps(c).drop;
        },
      ],
      [
        'escalation',
        (_, c) => {
          sc(c).allowPrivilegeEscalation = true;
        },
      ],
      [
        'hostPID',
        (spec) => {
          spec.hostPID = true;
        },
      ],
      [
        'root hostPath',
        (spec) => {
          spec.volumes = [{ name: 'root', hostPath: { path: '/' } }];
        },
      ],
      [
        'seccomp',
        (spec) => {
          asObject(spec.securityContext, 'sc').seccompProfile = { type: 'Unconfined' };
        },
      ],
      [
        'debug',
        (spec) => {
          spec.ephemeralContainers = [{ name: 'debug', image: 'busybox:1.37' }];
        },
      ],
      [
        'hostPort',
        (_, c) => {
          c.ports = [{ containerPort: 1, hostPort: 1 }];
        },
      ],
    ];
    const runnerOnly: typeof common = [
      [
        'hostNetwork',
        (spec) => {
          spec.hostNetwork = true;
        },
      ],
    ];
    const agentOnly: typeof common = [
      [
        'NET_RAW',
        (_, c) => {
          caps(c).add = ['NET_RAW'];
        },
      ],
    ];
    for (const [namespace, extra] of [
      [RUNNER_NS, runnerOnly],
      [AGENT_NS, agentOnly],
    ] as const) {
      const policy = bound(namespace);
      const ours = pods(manifests).filter((p) => p.namespace === namespace);
      expect(ours.length).toBeGreaterThan(0);
      for (const { name, pod } of ours) {
        expect(denials(policy, pod), name).toEqual([]);
        for (const [what, change] of [...common, ...extra])
          expect(denials(policy, mutate(pod, change)).length, `${name} with ${what}`).toBeGreaterThan(0);
      }
    }
  });

  it('pins every image, mounts secrets as files and writes none out, and mounts no service account token', () => {
    expect(byKind('Secret')).toEqual([]);
    for (const { name, pod } of pods(manifests)) {
      expect(pod.spec.automountServiceAccountToken, name).toBe(false);
      for (const { where, container } of allContainers(pod.spec)) {
        expect(isPinnedImage(String(container.image)), `${name} ${where}`).toBe(true);
        for (const env of (container.env as JsonObject[] | undefined) ?? []) {
          if (SECRET_NAME.test(String(env.name))) {
            expect(env.value, `${name} ${String(env.name)}`).toBeUndefined();
            expect(asObject(env.valueFrom, 'valueFrom').secretKeyRef, String(env.name)).toBeDefined();
          }
        }
      }
    }
    for (const file of yamlFiles('k8s')) expect(looksLikeSecretValue(readFileSync(file, 'utf8')), file).toBe(false);
    for (const map of byKind('ConfigMap'))
      for (const [key, value] of Object.entries(asObject(map.data, 'data')))
        expect(looksLikeSecretValue(String(value)), key).toBe(false);
  });

  it('runs Redis with AOF and noeviction, and probes the collector on /healthz', () => {
    const podOf = (name: string) => {
      const found = pods(manifests).find((p) => p.name === name);
      if (!found) throw new Error(`no ${name}`);
      return found.pod;
    };
    const args = asObject((podOf('StatefulSet synack/synack-redis').spec.containers as JsonObject[])[0], 'redis')
      .args as string[];
    expect(args[args.indexOf('--appendonly') + 1]).toBe('yes');
    expect(args[args.indexOf('--maxmemory-policy') + 1]).toBe('noeviction');
    const collector = podOf('Deployment synack/synack-collector');
    const container = asObject((collector.spec.containers as JsonObject[])[0], 'collector');
    for (const probe of ['readinessProbe', 'livenessProbe'])
      expect(asObject(asObject(container[probe], probe).httpGet, 'httpGet').path).toBe('/healthz');
  });

  it('gives runners the config without the private key path, and the collector 0.0.0.0:8470', () => {
    const embedded = (map: string, key: string) =>
      asObject(
        parseYamlDocuments(String(asObject(named('ConfigMap', map).data, 'data')[key]), `${map} ${key}`)[0],
        key,
      );
    const config = embedded('synack-config', 'synack.yaml');
    const runner = embedded('synack-runner-config', 'runner.yaml');
    expect(asObject(config.collector, 'collector').listen).toBe('0.0.0.0:8470');
    expect(String(asObject(config.signing, 'signing').private_key_file)).toMatch(/^\/var\/run\/secrets\/synack\//);
    expect(isObject(runner.signing) && 'private_key_file' in runner.signing).toBe(false);
    delete asObject(config.signing, 'signing').private_key_file;
    expect(runner).toEqual(config);
  });
});
