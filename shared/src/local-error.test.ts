import { describe, expect, it } from 'vitest';
import { localErrorFromErrno } from './local-error.ts';

describe('localErrorFromErrno', () => {
  it('gives one code per failure, whatever the stage', () => {
    for (const stage of ['route', 'send', 'connect'] as const) {
      expect(localErrorFromErrno('ENETUNREACH', stage, '192.0.2.1').code).toBe('SYNACK_ERR_NO_ROUTE');
    }
    expect(localErrorFromErrno('EPERM', 'send', '192.0.2.1').code).toBe('SYNACK_ERR_LOCAL_FIREWALL');
    expect(localErrorFromErrno('EPERM', 'connect', '192.0.2.1').code).toBe('SYNACK_ERR_LOCAL_FIREWALL');
    expect(localErrorFromErrno('EACCES', 'route', '255.255.255.255').code).toBe('SYNACK_ERR_SOURCE_ADDRESS');
    expect(localErrorFromErrno('EMSGSIZE', 'send', '192.0.2.1')).toEqual({
      code: 'SYNACK_ERR_SEND_FAILED',
      message: 'sending the SYN to 192.0.2.1 failed (EMSGSIZE)',
    });
  });
});
