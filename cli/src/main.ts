import { isSynackError } from '@synack/shared/synack-error';
import { Command, CommanderError } from 'commander';
import { type CliServices, createCliServices } from './cli-services.ts';

// Exit codes (STYLE.md): 0 = every attempt answered, 1 = some failed, 2 = usage or config error;
// 70 = internal error, 141 = output pipe closed.
const USAGE = 2;

type CommandFactory = (services: CliServices) => Promise<Command>;
// Each command is loaded only when it runs (all of them for the top-level help): a long-running
// `synack agent` on a server does not carry the runner's, scheduler's and collector's modules.
const COMMANDS: Record<string, CommandFactory> = {
  probe: async (s) => (await import('./probe-command.ts')).probeCommand(s),
  trace: async (s) => (await import('./trace-command.ts')).traceCommand(s),
  scheduler: async () => (await import('./scheduler-command.ts')).schedulerCommand(),
  runner: async (s) => (await import('./runner-command.ts')).runnerCommand(s),
  collector: async () => (await import('./collector-command.ts')).collectorCommand(),
  status: async (s) => (await import('./status-command.ts')).statusCommand(s),
  slo: async (s) => (await import('./slo-command.ts')).sloCommand(s),
  diagnose: async (s) => (await import('./diagnose-command.ts')).diagnoseCommand(s),
  agent: async () => (await import('./agent-command.ts')).agentCommand(),
  lab: async (s) => (await import('./lab-command.ts')).labCommand(s),
  up: async (s) => (await import('./up-command.ts')).upCommand(s),
  token: async (s) => (await import('./token-command.ts')).tokenCommand(s),
  keygen: async (s) => (await import('./keygen-command.ts')).keygenCommand(s),
};

const services = createCliServices();
const program = new Command('synack')
  .description('synthetic probing of TCP connection establishment')
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) })
  .showHelpAfterError('(run with --help for usage)');
const wanted = process.argv[2];
const names = wanted !== undefined && Object.hasOwn(COMMANDS, wanted) ? [wanted] : Object.keys(COMMANDS);
for (const name of names) program.addCommand((await (COMMANDS[name] as CommandFactory)(services)).exitOverride());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : USAGE;
  } else if (isSynackError(error)) {
    process.stderr.write(`synack: ${error.message}\n`);
    process.exitCode = USAGE;
  } else {
    // A bug, not a probe result: one line and a code of its own (EX_SOFTWARE), never 0, 1 or 2.
    process.stderr.write(
      `synack: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 70;
  }
} finally {
  services.close();
}
