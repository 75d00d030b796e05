import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** The repository's infra/ folder, with a trailing slash. */
export const INFRA = fileURLToPath(new URL('../../infra/', import.meta.url));

/** The YAML files directly in `dir` (under infra/), sorted, as absolute paths. */
export function yamlFiles(dir: string): string[] {
  return readdirSync(`${INFRA}${dir}`)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => `${INFRA}${dir}/${name}`);
}

/**
 * Every document of a YAML file as plain data, with `<<` merge keys applied (compose files use
 * them). Throws with the file and every parse error or warning: a file that only half parses is
 * a broken file.
 */
export function readYamlDocuments(file: string): unknown[] {
  return parseYamlDocuments(readFileSync(file, 'utf8'), file);
}

/** {@link readYamlDocuments} for text (a config embedded in a ConfigMap); `what` names it in errors. */
export function parseYamlDocuments(text: string, what: string): unknown[] {
  const docs = parseAllDocuments(text, { merge: true, prettyErrors: true, uniqueKeys: true });
  const problems = docs.flatMap((doc) => [...doc.errors, ...doc.warnings].map((e) => e.message));
  if (problems.length > 0) throw new Error(`${what}: ${problems.join('\n')}`);
  return docs.map((doc) => doc.toJS({ maxAliasCount: 100 }) as unknown).filter((doc) => doc !== null);
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` as an object, or a TypeError naming `what`. */
export function asObject(value: unknown, what: string): JsonObject {
  if (!isObject(value)) throw new TypeError(`${what}: expected a mapping, got ${JSON.stringify(value)}`);
  return value;
}

/** An image reference is pinned when it names a version tag (with a digit) or a digest; never `latest`. */
export function isPinnedImage(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  if (colon < 0) return false;
  const tag = image.slice(colon + 1);
  return tag !== 'latest' && /\d/.test(tag) && !tag.includes('$');
}

/** Environment variable names that hold secrets when they hold a value at all. */
export const SECRET_NAME = /(KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL)/i;

/**
 * Text that looks like a secret written out: a PEM block, a private key, a long run of hex or
 * base64, a URL with a password, or a Slack/bearer token.
 */
export function looksLikeSecretValue(text: string): boolean {
  return (
    /-----BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)-----/.test(text) ||
    /\b[0-9a-f]{32,}\b/i.test(text) ||
    /[A-Za-z0-9+/]{40,}={0,2}/.test(text) ||
    /\w+:\/\/[^/\s:@]*:[^/\s@]+@/.test(text) ||
    /\bxox[abprs]-[A-Za-z0-9-]+/.test(text) ||
    /\bBearer\s+\S{16,}/.test(text)
  );
}

// Pod Security Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/),
// the checks of the baseline and restricted levels, written from the standard's tables.

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const RESTRICTED_VOLUMES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

/** Every container of a pod spec (init and ephemeral too), each with its kind for messages. */
export function allContainers(spec: JsonObject): { where: string; container: JsonObject }[] {
  const out: { where: string; container: JsonObject }[] = [];
  for (const field of ['initContainers', 'containers', 'ephemeralContainers']) {
    const list = spec[field];
    if (!Array.isArray(list)) continue;
    list.forEach((container, index) => {
      const c = asObject(container, `${field}[${index}]`);
      out.push({ where: `${field}[${index}] ${String(c.name)}`, container: c });
    });
  }
  return out;
}

const sc = (o: JsonObject): JsonObject => (isObject(o.securityContext) ? o.securityContext : {});
const strings = (v: Json | undefined): string[] => (Array.isArray(v) ? v.map(String) : []);
const capabilities = (c: JsonObject) => (isObject(sc(c).capabilities) ? (sc(c).capabilities as JsonObject) : {});

/** Added capabilities of a container. */
export function capsAdded(container: JsonObject): string[] {
  return strings(capabilities(container).add);
}

/** Dropped capabilities of a container. */
export function capsDropped(container: JsonObject): string[] {
  return strings(capabilities(container).drop);
}

/** The baseline level's violations of a pod spec, one line each; empty when it passes. */
export function baselineViolations(spec: JsonObject): string[] {
  const out: string[] = [];
  const podSc = sc(spec);
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'])
    if (spec[field] === true) out.push(`host namespaces: ${field}`);
  const windows = (o: JsonObject) => (isObject(o.windowsOptions) ? o.windowsOptions : {});
  if (windows(podSc).hostProcess === true) out.push('hostProcess: pod');
  const checkSecurity = (where: string, s: JsonObject) => {
    const apparmor = isObject(s.appArmorProfile) ? s.appArmorProfile.type : undefined;
    if (apparmor !== undefined && apparmor !== 'RuntimeDefault' && apparmor !== 'Localhost')
      out.push(`AppArmor: ${where} ${apparmor}`);
    if (isObject(s.seLinuxOptions)) {
      const se = s.seLinuxOptions;
      if (se.type !== undefined && !SELINUX_TYPES.has(String(se.type))) out.push(`SELinux type: ${where}`);
      if (se.user || se.role) out.push(`SELinux user/role: ${where}`);
    }
    if (isObject(s.seccompProfile) && s.seccompProfile.type === 'Unconfined') out.push(`seccomp: ${where} Unconfined`);
  };
  checkSecurity('pod', podSc);
  for (const sysctl of Array.isArray(podSc.sysctls) ? podSc.sysctls : [])
    if (!isObject(sysctl) || !SAFE_SYSCTLS.has(String(sysctl.name))) out.push(`sysctl: ${JSON.stringify(sysctl)}`);
  for (const { where, container } of allContainers(spec)) {
    const s = sc(container);
    if (s.privileged === true) out.push(`privileged: ${where}`);
    if (windows(s).hostProcess === true) out.push(`hostProcess: ${where}`);
    for (const cap of capsAdded(container))
      if (!BASELINE_CAPABILITIES.has(cap)) out.push(`capability: ${where} adds ${cap}`);
    if (s.procMount !== undefined && s.procMount !== 'Default') out.push(`procMount: ${where}`);
    checkSecurity(where, s);
    for (const port of Array.isArray(container.ports) ? container.ports : [])
      if (isObject(port) && port.hostPort !== undefined && port.hostPort !== 0) out.push(`hostPort: ${where}`);
  }
  for (const volume of Array.isArray(spec.volumes) ? spec.volumes : [])
    if (isObject(volume) && volume.hostPath !== undefined) out.push(`hostPath volume: ${String(volume.name)}`);
  return out;
}

/** The restricted level's violations of a pod spec (baseline's included); empty when it passes. */
export function restrictedViolations(spec: JsonObject): string[] {
  const out = baselineViolations(spec);
  const podSc = sc(spec);
  for (const volume of Array.isArray(spec.volumes) ? spec.volumes : []) {
    if (!isObject(volume)) continue;
    const kinds = Object.keys(volume).filter((key) => key !== 'name');
    for (const kind of kinds)
      if (!RESTRICTED_VOLUMES.has(kind)) out.push(`volume type: ${String(volume.name)} ${kind}`);
  }
  const podSeccomp = isObject(podSc.seccompProfile) ? podSc.seccompProfile.type : undefined;
  const allowedSeccomp = (type: Json | undefined) => type === 'RuntimeDefault' || type === 'Localhost';
  if (podSc.runAsUser === 0) out.push('runAsUser: pod 0');
  for (const { where, container } of allContainers(spec)) {
    const s = sc(container);
    if (s.allowPrivilegeEscalation !== false) out.push(`allowPrivilegeEscalation: ${where} not false`);
    const nonRoot = s.runAsNonRoot ?? podSc.runAsNonRoot;
    if (nonRoot !== true) out.push(`runAsNonRoot: ${where} not true`);
    if (s.runAsUser === 0) out.push(`runAsUser: ${where} 0`);
    const seccomp = isObject(s.seccompProfile) ? s.seccompProfile.type : podSeccomp;
    if (!allowedSeccomp(seccomp)) out.push(`seccomp: ${where} ${String(seccomp)}`);
    if (!capsDropped(container).includes('ALL')) out.push(`capabilities: ${where} does not drop ALL`);
    for (const cap of capsAdded(container))
      if (cap !== 'NET_BIND_SERVICE') out.push(`capabilities: ${where} adds ${cap}`);
  }
  return out;
}

/**
 * A JSON value as @bufbuild/cel takes it: objects as maps, whole numbers as CEL ints (as
 * Kubernetes' integer fields are).
 */
export function toCel(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toCel);
  if (isObject(value)) return new Map(Object.entries(value).map(([key, v]) => [key, toCel(v)]));
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return value;
}
