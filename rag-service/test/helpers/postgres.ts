import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL server the tests use: `TEST_DATABASE_URL`, else the one `.ci/run` starts (Debian's
 * `postgresql`, role `kb`). Each call makes a database of its own, so suites never see each other's rows.
 */
export const TEST_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://kb:kb@127.0.0.1:5432/kb_test';

export async function freshPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `kb_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_SERVER_URL, connectionTimeoutMillis: 5_000 });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(
      `no PostgreSQL server at ${new URL(TEST_SERVER_URL).host} for the tests (${(err as Error).message}): ` +
        'run .ci/run once (it installs and starts one), or set TEST_DATABASE_URL',
    );
  }
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const again = new pg.Client({ connectionString: TEST_SERVER_URL });
      await again.connect();
      try {
        // FORCE ends the test's own connections; it may not end the server's (an autovacuum worker that
        // just started on the fresh database: "must be a member of the role…"), which finish on their own.
        for (let attempt = 1; ; attempt++) {
          try {
            await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
            break;
          } catch (err) {
            if ((err as { code?: string }).code !== '42501' || attempt === 20) throw err;
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
        }
      } finally {
        await again.end();
      }
    },
  };
}
