import { existsSync, readFileSync } from 'node:fs';
import { type Copy, DockerfileParser, type Instruction } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import {
  asObject,
  INFRA,
  isPinnedImage,
  type JsonObject,
  readYamlDocuments,
  SECRET_NAME,
  yamlFiles,
} from './infra-checks.ts';

// infra/docker/Dockerfile: parsed into stages, and checked for what each role's image may hold
// and whom it runs as.

const ROOT = `${INFRA}../`;
const DOCKERFILE = `${INFRA}docker/Dockerfile`;

type Stage = { name: string; from: string; instructions: Instruction[] };

function parseStages(): { stages: Stage[]; args: Map<string, string> } {
  const dockerfile = DockerfileParser.parse(readFileSync(DOCKERFILE, 'utf8'));
  const args = new Map<string, string>();
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    if (property?.getName()) args.set(property.getName(), property.getValue() ?? '');
  }
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === 'FROM') {
      const words = instruction.getArguments().map((a) => a.getValue());
      const as = words.findIndex((w) => w.toUpperCase() === 'AS');
      const image = (words[0] ?? '').replace(/^\$\{(\w+)\}$/, (_, name: string) => args.get(name) ?? name);
      stages.push({ name: as >= 0 ? String(words[as + 1]) : `stage-${stages.length}`, from: image, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { stages, args };
}

const { stages, args } = parseStages();
const stage = (name: string) => {
  const found = stages.find((s) => s.name === name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
};
const text = (i: Instruction) => i.getArgumentsContent() ?? '';
const of = (s: Stage, keyword: string) => s.instructions.filter((i) => i.getKeyword() === keyword);
/** A stage and the stages it is built on, nearest first. */
const chain = (name: string): Stage[] => {
  const s = stage(name);
  return stages.some((other) => other.name === s.from) ? [s, ...chain(s.from)] : [s];
};
/** The user a target's image runs as: its last USER, or its parents'. */
const userOf = (target: string) => {
  for (const s of chain(target)) {
    const users = of(s, 'USER');
    if (users.length > 0) return text(users.at(-1) as Instruction);
  }
  return 'root (no USER)';
};
/** The packages a stage's RUN lines install with apt-get. */
const aptPackages = (s: Stage) =>
  of(s, 'RUN').flatMap((run) =>
    [...text(run).matchAll(/apt-get install((?:\s+(?:-\S+|[a-z0-9][a-z0-9.+-]*))+)/g)].flatMap((m) =>
      (m[1] ?? '').split(/\s+/).filter((word) => word !== '' && !word.startsWith('-')),
    ),
  );
const TARGETS = ['synack', 'synack-runner', 'synack-agent'];

describe('infra/docker/Dockerfile', () => {
  it('parses into a build stage, a shared runtime, and one target per role', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime', 'synack-agent', 'synack-runner', 'synack']);
    for (const target of TARGETS) expect(chain(target).at(-1)?.name, target).toBe('runtime');
    expect(stages.at(-1)?.name, 'the default target').toBe('synack');
  });

  it('starts every stage from a pinned image or an earlier stage', () => {
    for (const [index, s] of stages.entries()) {
      const earlier = stages.slice(0, index).some((other) => other.name === s.from);
      expect(earlier || isPinnedImage(s.from), `${s.name} FROM ${s.from}`).toBe(true);
    }
    expect(stage('build').from).toBe(stage('runtime').from);
    expect(args.get('DEBIAN_IMAGE')).toMatch(/^debian:\d+\.\d+-slim$/);
  });

  it('runs collector, scheduler and agent images as uid 10001, the runner as root', () => {
    expect(userOf('synack')).toBe('10001:10001');
    expect(userOf('synack-agent')).toBe('10001:10001');
    expect(userOf('synack-runner')).toBe('0:0');
    expect(userOf('runtime')).toBe('10001:10001');
  });

  it('keeps build tools in the build stage, and gives each role only what it runs', () => {
    expect(aptPackages(stage('build'))).toEqual(expect.arrayContaining(['npm', 'python3', 'make', 'g++']));
    expect(aptPackages(stage('runtime'))).toEqual(['libatomic1']);
    expect(aptPackages(stage('synack-agent'))).toEqual(['iproute2', 'nftables']);
    expect(of(stage('synack-runner'), 'RUN')).toEqual([]);
    expect(of(stage('synack'), 'RUN')).toEqual([]);
    for (const s of stages.filter((s) => s.name !== 'build'))
      for (const copy of of(s, 'COPY') as Copy[])
        expect(copy.getFromFlag()?.getValue(), `${s.name} copies only built files: ${text(copy)}`).toBe('build');
  });

  it('grants no privilege in the image: no setcap, no setuid bit, no secret', () => {
    for (const s of stages) {
      for (const i of s.instructions) {
        expect(text(i), `${s.name} ${i.getKeyword()}`).not.toMatch(/setcap|chmod\s+(\S*\+s|[0-7]?[2-7][0-7]{3}\b)/);
        if (i.getKeyword() === 'ENV' || i.getKeyword() === 'ARG') expect(text(i), s.name).not.toMatch(SECRET_NAME);
        if (i.getKeyword() === 'COPY' || i.getKeyword() === 'ADD') expect(text(i)).not.toMatch(/secret|\.pem|\.key\b/);
      }
    }
  });

  it('builds with the project toolchain at an exact Node version, and enters through cli/bin/synack', () => {
    const build = stage('build').instructions.map(text).join('\n');
    expect(build).toContain('source scripts/lib/toolchain.sh && synack_ensure_node');
    expect(build).toContain('npm_config_nodedir="$SYNACK_NODE_HOME"');
    expect(build).toContain('--omit=dev');
    expect(build).toMatch(/ARG SYNACK_NODE_SPEC=\d+\.\d+\.\d+|SYNACK_NODE_SPEC=\d+\.\d+\.\d+/);
    const entrypoints = of(stage('runtime'), 'ENTRYPOINT').map(text);
    expect(entrypoints).toEqual(['["/opt/synack/cli/bin/synack"]']);
  });

  it('copies only files that exist and that Dockerfile.dockerignore lets into the context', () => {
    const ignore = readFileSync(`${INFRA}docker/Dockerfile.dockerignore`, 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(ignore[0]).toBe('*');
    expect(ignore).toEqual(expect.arrayContaining(['**/node_modules', '**/*.pem', '**/secrets']));
    const included = ignore.filter((line) => line.startsWith('!')).map((line) => line.slice(1));
    const sources = of(stage('build'), 'COPY').flatMap((copy) => {
      const words = copy
        .getArguments()
        .map((a) => a.getValue())
        .filter((w) => !w.startsWith('--'));
      return words.slice(0, -1);
    });
    expect(sources.length).toBeGreaterThan(10);
    for (const source of sources) {
      expect(existsSync(`${ROOT}${source}`), source).toBe(true);
      expect(
        included.some((path) => source === path || source.startsWith(`${path}/`)),
        `${source} is in the build context`,
      ).toBe(true);
    }
  });

  it('is the image every compose service and Kubernetes workload of synack uses', () => {
    const images = new Set<string>();
    const compose = asObject(readYamlDocuments(`${INFRA}compose/compose.yaml`)[0], 'compose');
    for (const service of Object.values(asObject(compose.services, 'services')) as JsonObject[]) {
      images.add(String(service.image));
      if (service.build !== undefined) expect(TARGETS).toContain(asObject(service.build, 'build').target);
    }
    for (const file of yamlFiles('k8s'))
      for (const match of readFileSync(file, 'utf8').matchAll(/image: (\S+)/g)) images.add(String(match[1]));
    const ours = [...images].filter((image) => image.startsWith('synack'));
    expect(ours.length).toBeGreaterThanOrEqual(3);
    for (const image of ours) expect(TARGETS, image).toContain(image.split(':')[0]);
  });
});
