#!/usr/bin/env node
// The conversation store's conformance suite runs against a real PostgreSQL server, as production does.
// This makes `pnpm test` work on a fresh machine: it uses TEST_DATABASE_URL when set; otherwise it finds
// Debian's PostgreSQL (installing it with apt when it may), starts its cluster and makes the tests' role
// and database (kb / kb_test on 127.0.0.1:5432), or says how.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (process.env.TEST_DATABASE_URL) process.exit(0);

const root = process.platform === 'linux' && process.getuid?.() === 0;
if (!root) {
  console.error(
    'The tests need a PostgreSQL server: set TEST_DATABASE_URL (a role that may CREATE DATABASE), ' +
      'or run them as root on Debian/Ubuntu, where this script installs and starts one.',
  );
  process.exit(1);
}
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const run = (cmd, args) => execFileSync(cmd, args, { env, encoding: 'utf8' });
if (!existsSync('/usr/bin/pg_ctlcluster')) {
  console.error('Installing Debian postgresql for the tests (apt-get)…');
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'postgresql']);
}
const [version, name] = run('pg_lsclusters', ['--no-header']).trim().split(/\s+/);
try {
  run('pg_ctlcluster', [version, name, 'start']);
} catch {
  // Already running.
}
const psql = (sql) => run('su', ['postgres', '-c', `psql -qtAc "${sql}"`]).trim();
if (psql("SELECT 1 FROM pg_roles WHERE rolname='kb'") !== '1')
  psql("CREATE ROLE kb LOGIN PASSWORD 'kb' CREATEDB");
if (psql("SELECT 1 FROM pg_database WHERE datname='kb_test'") !== '1')
  psql('CREATE DATABASE kb_test OWNER kb');
