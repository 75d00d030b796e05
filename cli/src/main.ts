import { isSynackError } from '@synack/shared/synack-error';
import { Command, CommanderError } from 'commander';
import { agentCommand } from './agent-command.ts';
import { createCliServices } from './cli-services.ts';
import { collectorCommand } from './collector-command.ts';
import { diagnoseCommand } from './diagnose-command.ts';
import { labCommand } from './lab-command.ts';
import { probeCommand } from './probe-command.ts';
import { runnerCommand } from './runner-command.ts';
import { schedulerCommand } from './scheduler-command.ts';
import { statusCommand } from './status-command.ts';
import { traceCommand } from './trace-command.ts';
import { upCommand } from './up-command.ts';

// Exit codes (STYLE.md): 0 = every attempt answered, 1 = some failed, 2 = usage or config error;
// 70 = internal error, 141 = output pipe closed.
const USAGE = 2;

const services = createCliServices();
const program = new Command('synack')
  .description('synthetic probing of TCP connection establishment')
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) })
  .showHelpAfterError('(run with --help for usage)')
  .addCommand(probeCommand(services).exitOverride())
  .addCommand(traceCommand(services).exitOverride())
  .addCommand(schedulerCommand().exitOverride())
  .addCommand(runnerCommand(services).exitOverride())
  .addCommand(collectorCommand().exitOverride())
  .addCommand(statusCommand(services).exitOverride())
  .addCommand(diagnoseCommand(services).exitOverride())
  .addCommand(agentCommand().exitOverride())
  .addCommand(labCommand(services).exitOverride())
  .addCommand(upCommand(services).exitOverride());

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
