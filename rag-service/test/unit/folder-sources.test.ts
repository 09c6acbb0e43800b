import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';
import { failureLine, UsageError } from '../../src/cli/failure.js';
import { ingest } from '../../src/cli/ingest.js';
import { folderIdPrefix, folderProblem } from '../../src/ingest/sources/files.js';
import { OpenAITestServer } from '../fakes/openai-server.js';
import { tempDir } from '../helpers/temp.js';

/** Writes `names` as small Markdown files into `dir` (made if missing). */
async function folderOf(dir: string, names: string[]): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const name of names) await writeFile(path.join(dir, name), `# ${name}\n\nAbout ${name}.`);
  return dir;
}

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(() => tmp.remove());

const envFor = (docsDir: string) => ({
  DATA_DIR: path.join(tmp.dir, 'data'),
  DOCS_DIR: docsDir,
  LOG_LEVEL: 'silent',
});

describe('documents folders, each a source of its own', () => {
  it('adds a folder with --dir beside DOCS_DIR; the next start (a files sync) keeps both', async () => {
    const main = await folderOf(path.join(tmp.dir, 'guide'), ['a.md', 'b.md', 'c.md']);
    const extra = await folderOf(path.join(tmp.dir, 'runbooks'), ['x.md', 'y.md']);
    const env = envFor(main);
    expect((await ingest([], env)).progress).toMatchObject({ indexed: 3, deleted: 0 });
    expect((await ingest(['--dir', extra], env)).progress).toMatchObject({ indexed: 2, deleted: 0 });
    // What `pnpm start` does first: sync the files source. The runbooks are not its to remove.
    expect((await ingest([], env)).progress).toMatchObject({ unchanged: 3, indexed: 0, deleted: 0 });
    expect((await ingest(['--dir', extra], env)).progress).toMatchObject({ unchanged: 2, deleted: 0 });
  });

  it('syncs every folder DOCS_DIR lists, each removing only its own vanished files', async () => {
    const one = await folderOf(path.join(tmp.dir, 'one'), ['a.md', 'b.md']);
    const two = await folderOf(path.join(tmp.dir, 'two'), ['c.md', 'd.md', 'e.md']);
    const env = envFor(`${one},${two}`);
    expect((await ingest([], env)).progress).toMatchObject({ discovered: 5, indexed: 5 });
    await rm(path.join(two, 'e.md'));
    expect((await ingest([], env)).progress).toMatchObject({ unchanged: 4, deleted: 1 });
    // `--dir` on a listed folder is that folder's source (same ids): nothing is indexed twice.
    expect((await ingest(['--dir', two], env)).progress).toMatchObject({ unchanged: 2, indexed: 0 });
  });

  it('rebuilds an index of another embedding model from every source, though --dir named one folder', async () => {
    const main = await folderOf(path.join(tmp.dir, 'guide'), ['a.md', 'b.md', 'c.md']);
    const extra = await folderOf(path.join(tmp.dir, 'runbooks'), ['x.md', 'y.md']);
    await ingest([], envFor(main));
    const model = await new OpenAITestServer().start();
    try {
      const env = { ...envFor(main), OPENAI_API_KEY: model.apiKey, OPENAI_BASE_URL: model.baseUrl };
      await expect(ingest(['--dir', extra], env)).rejects.toThrow(/ingest --full/);
      // The rebuild empties the index: the guide is indexed again beside the runbooks, not lost.
      expect((await ingest(['--dir', extra, '--full'], env)).progress).toMatchObject({
        indexed: 5,
        failed: 0,
      });
      expect((await ingest([], env)).progress).toMatchObject({ unchanged: 3, indexed: 0, deleted: 0 });
      expect((await ingest(['--dir', extra], env)).progress).toMatchObject({ unchanged: 2, indexed: 0 });
    } finally {
      await model.close();
    }
  });

  it('syncs the other folders when one cannot be, and still fails the run naming that one', async () => {
    const one = await folderOf(path.join(tmp.dir, 'one'), ['a.md', 'b.md', 'c.md', 'd.md']);
    const two = await folderOf(path.join(tmp.dir, 'two'), ['e.md']);
    const three = await folderOf(path.join(tmp.dir, 'three'), ['f.md']);
    const env = envFor(`${one},${two},${three}`);
    await ingest([], env);
    // The first folder looks unmounted (most of it gone); the others changed meanwhile.
    for (const name of ['a.md', 'b.md', 'c.md']) await rm(path.join(one, name));
    await folderOf(two, ['g.md']);
    await folderOf(three, ['h.md']);
    await expect(ingest([], env)).rejects.toThrow(/stopped before removing 3 of 4 documents/);
    // Both later folders were synced all the same: their new files are there, nothing to do now.
    await expect(ingest(['--dir', two], env)).resolves.toMatchObject({
      progress: { unchanged: 2, indexed: 0 },
    });
    await expect(ingest(['--dir', three], env)).resolves.toMatchObject({
      progress: { unchanged: 2, indexed: 0 },
    });

    // Two folders failing: one error naming both.
    await rm(path.join(three, 'f.md'));
    await rm(path.join(three, 'h.md'));
    await expect(ingest([], env)).rejects.toThrow(
      /^2 sources could not be synced \(the others were\): .*3 of 4 documents.*; the documents folder .*three holds no documents/,
    );
  });

  it('stops a sync that would remove more than half of a folder, until --full confirms it', async () => {
    const docs = await folderOf(path.join(tmp.dir, 'docs'), ['a.md', 'b.md', 'c.md', 'd.md']);
    const env = envFor(docs);
    await ingest([], env);
    for (const name of ['a.md', 'b.md', 'c.md']) await rm(path.join(docs, name));
    await expect(ingest([], env)).rejects.toThrow(
      /stopped before removing 3 of 4 documents \(more than 50%\): nothing was deleted.*ingest --full/,
    );
    expect((await ingest(['--full'], env)).progress).toMatchObject({ deleted: 3, indexed: 1 });
  });

  it('removes half a folder without asking, and any share of a folder of three or fewer', async () => {
    const docs = await folderOf(path.join(tmp.dir, 'docs'), ['a.md', 'b.md', 'c.md', 'd.md']);
    const env = envFor(docs);
    await ingest([], env);
    for (const name of ['a.md', 'b.md']) await rm(path.join(docs, name));
    expect((await ingest([], env)).progress).toMatchObject({ deleted: 2 });
    await rm(path.join(docs, 'c.md'));
    expect((await ingest([], env)).progress).toMatchObject({ deleted: 1 });
  });

  it('stops when a folder that had documents lists none', async () => {
    const docs = await folderOf(path.join(tmp.dir, 'docs'), ['a.md']);
    const env = envFor(docs);
    await ingest([], env);
    await rm(path.join(docs, 'a.md'));
    await expect(ingest([], env)).rejects.toThrow(
      `the documents folder ${docs} holds no documents. Stopped before removing the 1 documents`,
    );
  });

  it('forgets a folder added with --dir on --remove, even once the folder is gone', async () => {
    const main = await folderOf(path.join(tmp.dir, 'guide'), ['a.md']);
    const extra = await folderOf(path.join(tmp.dir, 'old'), ['x.md', 'y.md']);
    const env = envFor(main);
    await ingest([], env);
    await ingest(['--dir', extra], env);
    await rm(extra, { recursive: true });
    expect((await ingest(['--dir', extra, '--remove'], env)).progress).toMatchObject({ deleted: 2 });
    expect((await ingest([], env)).progress).toMatchObject({ unchanged: 1, deleted: 0 });
    await expect(ingest(['--remove'], env)).rejects.toThrow('--remove needs --dir <folder>');
    await expect(ingest(['--dir', main, '--remove'], env)).rejects.toThrow(/is listed in DOCS_DIR/);
  });

  it('takes a symlink to a DOCS_DIR folder as that folder, and refuses one folder inside another', async () => {
    const main = await folderOf(path.join(tmp.dir, 'guide'), ['a.md', 'b.md']);
    await folderOf(path.join(main, 'sub'), ['c.md']);
    const env = envFor(main);
    await ingest([], env);
    await symlink(main, path.join(tmp.dir, 'link'));
    expect((await ingest(['--dir', path.join(tmp.dir, 'link')], env)).progress).toMatchObject({
      unchanged: 3,
      indexed: 0,
    });
    await expect(ingest(['--dir', path.join(main, 'sub')], env)).rejects.toThrow(/one inside the other/);
    expect(() => loadConfig({ DOCS_DIR: `${main},${path.join(main, 'sub')}` })).toThrow(
      /DOCS_DIR lists .* one inside the other/,
    );
  });

  it('resolves --dir from where the command was typed (pnpm runs it in rag-service/)', async () => {
    await folderOf(path.join(tmp.dir, 'notes'), ['n.md']);
    const env = { ...envFor(path.join(tmp.dir, 'none')), INIT_CWD: tmp.dir };
    expect((await ingest(['--dir', 'notes'], env)).progress).toMatchObject({ indexed: 1 });
  });

  it('refuses a --dir that is not a folder, or with another source, in one line', async () => {
    const env = envFor(tmp.dir);
    const missing = path.join(tmp.dir, 'nope');
    await expect(ingest(['--dir', missing], env)).rejects.toThrow(
      new UsageError(`--dir ${missing}: no such folder (${missing})`),
    );
    await expect(ingest(['--dir', tmp.dir, '--source', 's3'], env)).rejects.toThrow(
      '--dir is a folder of files: it cannot be synced as --source s3',
    );
  });

  it('says why a folder cannot be synced: missing, or a file where a folder should be', async () => {
    const file = path.join(tmp.dir, 'a.md');
    await writeFile(file, '# A');
    expect(await folderProblem(tmp.dir)).toBeUndefined();
    expect(await folderProblem(file)).toBe(`${file} is not a folder (DOCS_DIR)`);
    expect(await folderProblem(path.join(tmp.dir, 'gone'))).toBe(
      `the documents folder ${path.join(tmp.dir, 'gone')} does not exist (DOCS_DIR)`,
    );
  });

  it('gives each other folder ids of its own, the same from any spelling of its path', () => {
    const a = folderIdPrefix('/srv/docs/Run Books');
    expect(a).toMatch(/^folder:run-books-[0-9a-f]{8}\/$/);
    expect(folderIdPrefix('/srv/docs/x/../Run Books/')).toBe(a);
    expect(folderIdPrefix('/srv/other/Run Books')).not.toBe(a);
  });

  it('reads DOCS_DIR as a list (commas or the path separator), the first folder first, each once', () => {
    const config = loadConfig({ DOCS_DIR: `/a, /b${path.delimiter}/a/` });
    expect(config.docsDirs).toEqual(['/a', '/b']);
    expect(config.docsDir).toBe('/a');
  });
});

describe('what a failed command prints: one line, pointing at the help', () => {
  it('an unknown option', async () => {
    const err = await ingest(['--bogus'], envFor(tmp.dir)).catch((e: unknown) => e);
    expect(failureLine(err, 'ingest')).toBe('unknown option --bogus: see pnpm kb ingest --help');
  });

  it('an option without its value', async () => {
    const err = await ingest(['--dir'], envFor(tmp.dir)).catch((e: unknown) => e);
    expect(failureLine(err, 'ingest')).toMatch(
      /^Option '--dir <value>' argument missing: see pnpm kb ingest --help$/,
    );
  });

  it('a usage mistake', () => {
    expect(failureLine(new UsageError('--dir x: no such folder (/x)'), 'ingest')).toBe(
      '--dir x: no such folder (/x): see pnpm kb ingest --help',
    );
  });

  it('a configuration error, in plain words on one line', () => {
    let err: unknown;
    try {
      loadConfig({ PORT: 'abc', CHAT_TIMEOUT_MS: 'soon' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(failureLine(err, 'ingest')).toBe(
      'Invalid configuration: PORT: must be a port number (0: any free port); CHAT_TIMEOUT_MS: must be a whole number from 1000 to 600000, not "soon"',
    );
  });

  it('anything, however odd, in one line without the credentials a URL carried', () => {
    expect(failureLine(undefined, 'ingest')).toBe('undefined');
    expect(failureLine(Object.assign(new Error('spawn failed'), { code: 5 }), 'ingest')).toBe('spawn failed');
    const refused = new AggregateError([new Error('connect ECONNREFUSED 127.0.0.1:6333')]);
    expect(failureLine(refused, 'ingest')).toBe('connect ECONNREFUSED 127.0.0.1:6333');
    expect(failureLine(new Error('fetch https://bob:s3cret@wiki.example/x failed'), 'ingest')).toBe(
      'fetch https://wiki.example/x failed',
    );
  });

  it('anything else: its message alone, on one line', () => {
    expect(failureLine(new Error('cannot open\n  the index'), 'ingest')).toBe('cannot open the index');
    expect(failureLine('plain', undefined)).toBe('plain');
  });
});
