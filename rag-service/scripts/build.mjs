// The production bundle: the service and its CLI as plain ESM for Node 22. Workspace code (the shared
// contracts) is bundled in; npm dependencies stay external and are installed beside it (`pnpm deploy`),
// since some ship native binaries (LanceDB) or load files of their own at run time (pdfjs, Swagger UI).
import { build } from 'esbuild';
import { cp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
const external = Object.keys(pkg.dependencies).filter((name) => !name.startsWith('@kb/'));

await rm(path.join(root, 'dist'), { recursive: true, force: true });
const common = {
  absWorkingDir: root,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external: external.flatMap((name) => [name, `${name}/*`]),
  logLevel: 'info',
};
// The bench (and the test servers it starts) is a development tool: kept out of what ships.
const withoutBench = {
  name: 'without-bench',
  setup(b) {
    b.onResolve({ filter: /\/bench-command\.js$/ }, (args) => ({ path: args.path, external: true }));
  },
};
await build({
  ...common,
  plugins: [withoutBench],
  entryPoints: { main: 'src/main.ts', cli: 'src/cli/main.ts' },
  // A module imported with import() becomes a chunk of its own, loaded when first asked for: without
  // splitting, every external package a lazily loaded module imports would be hoisted into main.js and
  // loaded at start (the LangChain clients of an unused provider: 10–16 MB of heap each).
  splitting: true,
  // Beside main.js: code that finds files relative to its own module (package.json, public/) finds them.
  chunkNames: '[name]-[hash]',
  // Bundled CommonJS helpers may call require(); ESM output needs it defined.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
// The PDF reader's worker thread: src/ingest/convert/pdf.ts starts it from `new URL('./pdf-worker.mjs',
// import.meta.url)`, which in the bundle is dist/ beside main.js and cli.js. Same name, same folder.
// The text converters' worker thread, likewise: text-converter.ts starts dist/text-worker.mjs.
await build({
  ...common,
  entryPoints: {
    'pdf-worker': 'src/ingest/convert/pdf-worker.mjs',
    'text-worker': 'src/ingest/convert/text-worker.ts',
  },
  outExtension: { '.js': '.mjs' },
});
await cp(path.join(root, 'src/web/public'), path.join(root, 'dist/public'), { recursive: true });
