import { migrate, MIGRATIONS } from '../../src/db/migrations.js';
import { EmbeddedDatabase } from '../../src/db/embedded.js';
import { PostgresDatabase } from '../../src/db/postgres.js';
import { conversationStoreConformance } from '../conformance/conversation-store.js';
import { freshPostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp.js';

conversationStoreConformance('embedded (its own PostgreSQL server under a folder)', () => {
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  return {
    async open() {
      dir = await tempDir('kb-db-');
      return EmbeddedDatabase.open(dir.dir);
    },
    cleanup: async () => dir?.remove(),
  };
});

conversationStoreConformance('PostgreSQL server (node-postgres)', () => {
  let server: Awaited<ReturnType<typeof freshPostgres>> | undefined;
  return {
    async open() {
      server = await freshPostgres();
      return new PostgresDatabase(server.url);
    },
    cleanup: async () => server?.drop(),
  };
});

describe('migrations on a PostgreSQL server', () => {
  it('are applied once when two replicas start at the same moment', async () => {
    const server = await freshPostgres();
    const replicas = [new PostgresDatabase(server.url), new PostgresDatabase(server.url)];
    try {
      const applied = await Promise.all(replicas.map((db) => migrate(db)));
      // Each migration ran on exactly one replica; the other found it done.
      expect(applied.flat().sort()).toEqual(MIGRATIONS.map((m) => m.version));
      const rows = await replicas[0]!.query<{ version: number }>('SELECT version FROM schema_migrations');
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await Promise.all(replicas.map((db) => db.close()));
      await server.drop();
    }
  });
});
