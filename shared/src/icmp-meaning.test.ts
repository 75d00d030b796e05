import { describe, expect, it } from 'vitest';
import { icmpLabel, icmpMeaning } from './icmp-meaning.ts';

describe('icmpMeaning', () => {
  it('separates the cases the lab tells apart by type and code', () => {
    expect(icmpMeaning('v4', 3, 13)).toBe('admin_prohibited');
    expect(icmpMeaning('v6', 1, 1)).toBe('admin_prohibited');
    expect(icmpMeaning('v4', 3, 1)).toBe('host_unreachable');
    expect(icmpMeaning('v6', 1, 3)).toBe('host_unreachable');
    expect(icmpMeaning('v4', 3, 0)).toBe('network_unreachable');
    expect(icmpMeaning('v6', 1, 0)).toBe('network_unreachable');
    expect(icmpMeaning('v4', 11, 0)).toBe('ttl_exceeded');
    expect(icmpMeaning('v6', 3, 0)).toBe('ttl_exceeded');
    expect(icmpMeaning('v6', 2, 0)).toBe('packet_too_big');
    expect(icmpMeaning('v4', 3, 99)).toBe('icmp_error');
    expect(icmpMeaning('v4', 0, 0)).toBe('icmp_error');
  });

  it('words meanings for people', () => {
    expect(icmpLabel('admin_prohibited')).toBe('admin-prohibited');
  });
});
