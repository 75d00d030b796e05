import { describe, expect, it } from 'vitest';
import { errnoFromMessage } from './errno-from-message.ts';

describe('errnoFromMessage', () => {
  it('maps glibc strerror texts back to errno names', () => {
    expect(errnoFromMessage('Network is unreachable')).toBe('ENETUNREACH');
    expect(errnoFromMessage('Operation not permitted')).toBe('EPERM');
    expect(errnoFromMessage('Resource temporarily unavailable')).toBe('EAGAIN');
    expect(errnoFromMessage('No buffer space available')).toBe('ENOBUFS');
    expect(errnoFromMessage('No route to host')).toBe('EHOSTUNREACH');
  });

  it('returns undefined for unknown text', () => {
    expect(errnoFromMessage('something else')).toBeUndefined();
  });
});
