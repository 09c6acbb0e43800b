import { validate } from '@forge/manifest';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '../..');
const MANIFEST = path.join(ROOT, 'manifest.yml');

interface Module {
  key: string;
  resource?: string;
  resolver?: { function: string };
  render?: string;
  handler?: string;
}
interface Manifest {
  app: { runtime: { name: string } };
  modules: Record<string, Module[]>;
  resources: { key: string; path: string }[];
  remotes: {
    key: string;
    baseUrl: string;
    operations: string[];
    storage?: { inScopeEUD: boolean };
    auth?: { appUserToken?: { enabled: boolean } };
  }[];
  permissions: { scopes: string[] };
}

const manifest = parse(fs.readFileSync(MANIFEST, 'utf8')) as Manifest;

describe('manifest.yml', () => {
  it("passes Atlassian's own validation (@forge/manifest: schema, modules, resources, scopes)", async () => {
    const result = await validate(false, MANIFEST);
    expect(result.errors ?? []).toEqual([]);
    expect(result.success).toBe(true);
  });

  it('runs on Node 22 or newer', () => {
    expect(manifest.app.runtime.name).toMatch(/^nodejs(2[2-9]|[3-9]\d)\.x$/);
  });

  it('declares the contract’s modules, each rendered natively with the app’s resolver', () => {
    expect(Object.keys(manifest.modules).sort()).toEqual(
      [
        'confluence:contentBylineItem',
        'confluence:globalSettings',
        'confluence:spacePage',
        'function',
        'jira:adminPage',
        'jira:issuePanel',
      ].sort(),
    );
    const functions = new Set(manifest.modules.function!.map((f) => f.key));
    for (const [type, modules] of Object.entries(manifest.modules)) {
      if (type === 'function') continue;
      for (const m of modules) {
        expect({ type, render: m.render }).toEqual({ type, render: 'native' });
        expect(functions.has(m.resolver!.function)).toBe(true);
      }
    }
  });

  it('points every function handler at a real export', async () => {
    for (const fn of manifest.modules.function!) {
      const [file, exportName] = fn.handler!.split('.') as [string, string];
      // Forge resolves handlers under src/ beside manifest.yml.
      const exports = (await import(path.join(ROOT, 'src', file))) as Record<string, unknown>;
      expect(typeof exports[exportName]).toBe('function');
    }
  });

  it('points every resource at a real file or folder, and every UI entry renders with ForgeReconciler', () => {
    const used = new Set(
      Object.values(manifest.modules)
        .flat()
        .map((m) => m.resource)
        .filter(Boolean),
    );
    for (const resource of manifest.resources) {
      const full = path.join(ROOT, resource.path);
      expect(fs.existsSync(full)).toBe(true);
      if (full.endsWith('.tsx')) expect(fs.readFileSync(full, 'utf8')).toMatch(/ForgeReconciler\.render\(/);
    }
    for (const key of used) expect(manifest.resources.map((r) => r.key)).toContain(key);
  });

  it('calls rag-service as a remote that computes and stores end-user data, and receives the user token', () => {
    expect(manifest.remotes).toEqual([
      expect.objectContaining({
        key: 'rag-service',
        operations: ['compute', 'storage'],
        storage: { inScopeEUD: true },
        auth: { appUserToken: { enabled: true } },
      }),
    ]);
  });

  it('asks for the smallest set of scopes, each justified in the README', () => {
    expect([...manifest.permissions.scopes].sort()).toEqual(
      ['read:app-user-token', 'read:confluence-user', 'read:jira-work', 'search:confluence'].sort(),
    );
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const scope of manifest.permissions.scopes) expect(readme).toContain(`\`${scope}\``);
  });
});
