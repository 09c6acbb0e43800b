import { BENCH_HELP, benchTables, runBench } from './bench.js';

/** `kb bench`: the performance suites, from a source checkout only (see main.ts). */
export async function runBenchCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(BENCH_HELP);
    return 0;
  }
  const { run, out } = await runBench(args, (what) =>
    process.stderr.write(`${new Date().toISOString()} ${what}\n`),
  );
  process.stdout.write(`${benchTables(run)}\nJSON and charts in ${out}/\n`);
  return 0;
}
