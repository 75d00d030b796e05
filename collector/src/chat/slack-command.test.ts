import { describe, expect, it } from 'vitest';
import { parseSlackCommand } from './slack-command.ts';

describe('parseSlackCommand', () => {
  it('reads each command', () => {
    expect(parseSlackCommand('probe web')).toEqual({ command: 'probe', target: 'web', regions: [] });
    expect(parseSlackCommand('  PROBE api.internal:443  eu-west,us-east us-east ')).toEqual({
      command: 'probe',
      target: 'api.internal:443',
      regions: ['eu-west', 'us-east'],
    });
    expect(parseSlackCommand('status web')).toEqual({ command: 'status', target: 'web' });
    expect(parseSlackCommand('diagnose web')).toEqual({ command: 'diagnose', target: 'web' });
    expect(parseSlackCommand('slo web')).toEqual({ command: 'slo', target: 'web' });
    expect(parseSlackCommand('help')).toEqual({ command: 'help' });
    expect(parseSlackCommand('')).toEqual({ command: 'help' });
  });

  it('takes what Slack turned into a link as typed', () => {
    expect(parseSlackCommand('probe <http://api.internal:443|api.internal:443>')).toMatchObject({
      target: 'api.internal:443',
    });
  });

  it('answers a helpful message for what it cannot read', () => {
    expect(parseSlackCommand('reboot web')).toEqual({
      command: 'invalid',
      message:
        'unknown command "reboot". Try: probe <target|host:port> [region ...], status <target>, diagnose <target>, slo <target>, help',
    });
    expect(parseSlackCommand('probe')).toMatchObject({
      command: 'invalid',
      message: 'probe needs a target: probe <target|host:port> [region ...]',
    });
    expect(parseSlackCommand('probe web EU_WEST')).toMatchObject({
      command: 'invalid',
      message: expect.stringContaining('"EU_WEST" is not a region name'),
    });
    expect(parseSlackCommand('status web extra')).toMatchObject({
      command: 'invalid',
      message: 'too many arguments: status <target>',
    });
    expect(parseSlackCommand('slo 10.0.0.1:443')).toMatchObject({
      command: 'invalid',
      message: expect.stringContaining('is not a target name'),
    });
    const long = parseSlackCommand(`x${'y'.repeat(500)}`);
    expect(long.command === 'invalid' && long.message.length).toBeLessThan(200);
  });
});
