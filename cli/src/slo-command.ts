import type { SloReportList } from '@synack/shared/wire/slo-report';
import { Command, Option } from 'commander';
import type { CliServices } from './cli-services.ts';
import { collectorBase, getFromCollector } from './collector-api.ts';
import { formatSloReport } from './slo-text.ts';

type Flags = { config?: string; collector?: string };

/** `synack slo report|export`: SLO reports and exports, read from the collector's API. */
export function sloCommand(services: CliServices): Command {
  // Set before the subcommands are made, which inherit it: a usage error throws to main, never exits here.
  const slo = new Command('slo').exitOverride().description('connection-establishment SLOs: reports and exports');
  slo
    .command('report')
    .description('each SLO: SLI per region and overall, error budget left, burn rates and alerts')
    .option('--config <file>', 'the synack YAML config (its collector.listen is the API)')
    .option('--collector <url>', 'the collector API base URL (e.g. http://127.0.0.1:8470)')
    .option('--window <duration>', "the window to report over (e.g. 7d, 6h); default each SLO's own")
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'markdown', 'json']).default('table'))
    .action(async (flags: Flags & { window?: string; format: 'table' | 'markdown' | 'json' }) => {
      const base = await collectorBase(flags, services);
      const query = flags.window ? `?window=${encodeURIComponent(flags.window)}` : '';
      const list = (await (await getFromCollector(base, `/v1/slo${query}`)).json()) as SloReportList;
      services.out(flags.format === 'json' ? JSON.stringify(list, null, 2) : formatSloReport(list, flags.format));
    });
  slo
    .command('export')
    .description('every SLO as OpenSLO YAML, or as Prometheus recording and alerting rules over synack metrics')
    .option('--config <file>', 'the synack YAML config (its collector.listen is the API)')
    .option('--collector <url>', 'the collector API base URL')
    .addOption(
      new Option('--format <format>', 'what to export').choices(['openslo', 'prometheus']).makeOptionMandatory(),
    )
    .action(async (flags: Flags & { format: 'openslo' | 'prometheus' }) => {
      const base = await collectorBase(flags, services);
      const path = flags.format === 'openslo' ? '/v1/exports/openslo.yaml' : '/v1/exports/prometheus-rules.yaml';
      services.out((await (await getFromCollector(base, path)).text()).trimEnd());
    });
  return slo;
}
