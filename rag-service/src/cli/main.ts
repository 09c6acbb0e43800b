#!/usr/bin/env -S npx tsx
import { existsSync } from 'node:fs';
import path from 'node:path';
import { SERVICE_ROOT } from '../config.js';
import { EVAL_HELP, evalTable, runEval } from './eval.js';
import { INGEST_HELP, ingest } from './ingest.js';
import { failureLine } from './failure.js';
import { MIGRATE_HELP, migrateToQdrant } from './migrate.js';
import { ProgressBar, summaryTable } from './progress-bar.js';

const USAGE = `Usage: pnpm kb <command> [options]

Commands:
  ingest              sync a source into the index now (see: ingest --help)
  migrate-to-qdrant   copy the embedded index into Qdrant, without re-embedding (see: migrate-to-qdrant --help)
  eval                retrieval quality on a BEIR-format folder (see: eval --help)
  bench               performance suites: chat overhead against a reference, ingestion, hostile input
                      (see: bench --help)
`;

/**
 * The bench is a development tool: it starts test servers (models, Confluence, S3) and a reference
 * system, none of which the image ships. It is loaded only when asked for, from the source checkout; the
 * production bundle leaves it out (scripts/build.mjs), and says so when asked.
 */
async function runBenchCommand(args: string[]): Promise<number> {
  let bench: { runBenchCommand(args: string[]): Promise<number> };
  try {
    bench = await import('./bench-command.js');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    process.stderr.write(
      'bench is a development tool, not in this build: run it from a checkout (pnpm kb bench)\n',
    );
    return 1;
  }
  return bench.runBenchCommand(args);
}

async function runEvalCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(EVAL_HELP);
    return 0;
  }
  const run = await runEval(args, process.env, (what) => process.stderr.write(`\r${what}`));
  process.stderr.write('\n');
  process.stdout.write(`${evalTable(run)}\n`);
  return 0;
}

async function runMigrate(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(MIGRATE_HELP);
    return 0;
  }
  const result = await migrateToQdrant(args, process.env, (documents) => {
    process.stderr.write(`\rcopied ${documents} documents`);
  });
  process.stderr.write('\n');
  process.stdout.write(
    `${summaryTable([
      ['documents', result.documents],
      ['chunks', result.chunks],
      ['time', `${(result.elapsedMs / 1000).toFixed(1)}s`],
    ])}\nSet VECTOR_STORE=qdrant (or keep QDRANT_URL set) and restart the service.\n`,
  );
  return 0;
}

async function runIngest(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(INGEST_HELP);
    return 0;
  }
  const bar = new ProgressBar();
  const { progress, elapsedMs } = await ingest(args, process.env, (p) => {
    bar.update(p);
  });
  bar.finish(progress);
  const seconds = elapsedMs / 1000;
  process.stdout.write(
    `${summaryTable([
      ['discovered', progress.discovered],
      ['indexed', progress.indexed],
      ['unchanged', progress.unchanged],
      ['deleted', progress.deleted],
      ['failed', progress.failed],
      ['chunks written', progress.chunks],
      ['time', `${seconds.toFixed(1)}s`],
      ['documents/s', (progress.processed / Math.max(seconds, 0.001)).toFixed(1)],
    ])}\n`,
  );
  return progress.failed > 0 ? 2 : 0;
}

async function main(argv: string[]): Promise<number> {
  for (const file of [path.resolve('.env'), path.join(SERVICE_ROOT, '.env')]) {
    if (existsSync(file)) {
      process.loadEnvFile(file);
      break;
    }
  }
  const [command, ...args] = argv;
  if (command === 'ingest') return runIngest(args);
  if (command === 'migrate-to-qdrant') return runMigrate(args);
  if (command === 'eval') return runEvalCommand(args);
  if (command === 'bench') return runBenchCommand(args);
  const asked = command === undefined || command === '--help' || command === '-h';
  if (!asked) process.stderr.write(`unknown command ${command}: see pnpm kb --help\n`);
  process.stdout.write(USAGE);
  return asked ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`\n${failureLine(err, process.argv[2])}\n`);
    if (process.env.LOG_LEVEL === 'debug' && err instanceof Error && err.stack)
      process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  },
);
