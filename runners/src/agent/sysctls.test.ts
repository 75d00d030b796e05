import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readSysctls } from './sysctls.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true });
});

async function fakeProcSys(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'synack-sysctl-'));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

const BASE = {
  'net/ipv4/tcp_syncookies': '1\n',
  'net/ipv4/tcp_max_syn_backlog': '512\n',
  'net/core/somaxconn': '4096\n',
  'net/ipv4/tcp_abort_on_overflow': '0\n',
  'net/ipv4/tcp_synack_retries': '5\n',
  'net/ipv4/icmp_ratelimit': '1000\n',
  'net/ipv4/conf/all/rp_filter': '0\n',
  'net/ipv4/conf/default/rp_filter': '2\n',
  'net/ipv4/conf/eth0.100/rp_filter': '1\n',
};

describe('readSysctls', () => {
  it('reads the handshake settings, per interface too, by their sysctl names', async () => {
    const root = await fakeProcSys({
      ...BASE,
      'net/ipv6/icmp/ratelimit': '100\n',
      'net/ipv6/conf/all/disable_ipv6': '0\n',
      'net/ipv6/conf/eth0.100/disable_ipv6': '1\n',
      'net/netfilter/nf_conntrack_count': '12\n',
      'net/netfilter/nf_conntrack_max': '262144\n',
    });
    const { value, sources } = await readSysctls(root);
    expect(sources).toEqual([{ source: join(root, 'net'), ok: true }]);
    expect(value).toEqual({
      'net.core.somaxconn': '4096',
      'net.ipv4.conf.all.rp_filter': '0',
      'net.ipv4.conf.default.rp_filter': '2',
      'net.ipv4.conf.eth0/100.rp_filter': '1',
      'net.ipv4.icmp_ratelimit': '1000',
      'net.ipv4.tcp_abort_on_overflow': '0',
      'net.ipv4.tcp_max_syn_backlog': '512',
      'net.ipv4.tcp_synack_retries': '5',
      'net.ipv4.tcp_syncookies': '1',
      'net.ipv6.conf.all.disable_ipv6': '0',
      'net.ipv6.conf.eth0/100.disable_ipv6': '1',
      'net.ipv6.icmp.ratelimit': '100',
      'net.netfilter.nf_conntrack_count': '12',
      'net.netfilter.nf_conntrack_max': '262144',
    });
  });

  it('leaves out what only some kernels have (no IPv6, no conntrack) without failing', async () => {
    const { value, sources } = await readSysctls(await fakeProcSys(BASE));
    expect(sources[0]?.ok).toBe(true);
    expect(Object.keys(value)).not.toContain('net.netfilter.nf_conntrack_count');
  });

  it('fails its status, naming them, when settings every kernel has are missing', async () => {
    const { 'net/core/somaxconn': _, ...withoutSomaxconn } = BASE;
    const { value, sources } = await readSysctls(await fakeProcSys(withoutSomaxconn));
    expect(sources[0]).toMatchObject({ ok: false, error: 'cannot read net.core.somaxconn (ENOENT)' });
    expect(value['net.ipv4.tcp_syncookies']).toBe('1');
  });

  it('reads this namespace’s real values', async () => {
    const { value, sources } = await readSysctls();
    expect(sources[0]?.ok).toBe(true);
    expect(value['net.core.somaxconn']).toMatch(/^\d+$/);
    expect(value['net.ipv4.conf.lo.rp_filter']).toMatch(/^[0-2]$/);
  });
});
