import { ProcessorBuilder, validate, ValidationTypes } from '@forge/manifest';
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
  function?: string;
  endpoint?: string;
  events?: string[];
  remote?: string;
  route?: { path: string };
  auth?: Record<string, { enabled: boolean }>;
  name?: string;
  prompt?: string;
  actions?: string[];
  actionVerb?: string;
  inputs?: Record<string, { type: string; required?: boolean }>;
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
const modulesOf = (type: string): Module[] => manifest.modules[type] ?? [];
const UI_MODULES = [
  'confluence:contentBylineItem',
  'confluence:globalSettings',
  'confluence:spacePage',
  'jira:adminPage',
  'jira:issuePanel',
];

describe('manifest.yml', () => {
  it("passes Atlassian's own validation (@forge/manifest: schema, modules, resources, scopes)", async () => {
    const result = await validate(false, MANIFEST);
    expect(result.errors ?? []).toEqual([]);
    expect(result.success).toBe(true);
  });

  // `validate()` leaves some checks to processors of their own, which `forge lint` and `forge deploy` run:
  // a trigger's events need their scopes, a Rovo agent its product context, a remote its compute rules.
  it.each([
    ValidationTypes.PRODUCT_TRIGGER,
    ValidationTypes.AGENT_PRODUCT_CONTEXT,
    ValidationTypes.FORGE_REMOTE_COMPUTE,
  ])("passes @forge/manifest's %s validation", async (type) => {
    const result = await ProcessorBuilder.instance().withValidation(type).build().process(MANIFEST);
    expect(result.errors ?? []).toEqual([]);
    expect(result.success).toBe(true);
  });

  it('runs on Node 22 or newer', () => {
    expect(manifest.app.runtime.name).toMatch(/^nodejs(2[2-9]|[3-9]\d)\.x$/);
  });

  it('declares the contract’s modules, each panel rendered natively with the app’s resolver', () => {
    expect(Object.keys(manifest.modules).sort()).toEqual(
      [...UI_MODULES, 'action', 'endpoint', 'function', 'rovo:agent', 'trigger'].sort(),
    );
    const functions = new Set(modulesOf('function').map((f) => f.key));
    for (const type of UI_MODULES) {
      for (const m of modulesOf(type)) {
        expect({ type, render: m.render }).toEqual({ type, render: 'native' });
        expect(m.resolver!.function).toBe('resolver');
        expect(functions.has(m.resolver!.function)).toBe(true);
      }
    }
  });

  it('forwards every Confluence page event straight to rag-service’s events route, with a Forge token only', () => {
    const [trigger, ...more] = modulesOf('trigger');
    expect(more).toEqual([]);
    expect([...trigger!.events!].sort()).toEqual(
      [
        'avi:confluence:created:page',
        'avi:confluence:updated:page',
        'avi:confluence:trashed:page',
        'avi:confluence:deleted:page',
        'avi:confluence:moved:page',
        'avi:confluence:permissions_updated:page',
        'avi:confluence:restored:page',
        'avi:confluence:archived:page',
        'avi:confluence:unarchived:page',
        'avi:confluence:created:blogpost',
        'avi:confluence:updated:blogpost',
      ].sort(),
    );
    // Sent by Forge itself (an endpoint), not through a function of the app.
    expect(trigger!.function).toBeUndefined();
    const endpoint = modulesOf('endpoint').find((e) => e.key === trigger!.endpoint);
    expect(endpoint).toMatchObject({ remote: 'rag-service', route: { path: '/api/v1/forge/events' } });
    expect(manifest.remotes.map((r) => r.key)).toContain(endpoint!.remote);
    // The service reads only the Forge Invocation Token Forge always sends: no app or user token is asked for.
    expect(Object.values(endpoint!.auth ?? {}).filter((token) => token.enabled)).toEqual([]);
  });

  it('offers a Rovo "Knowledge assistant" whose two actions run functions of the app', () => {
    const [agent] = modulesOf('rovo:agent');
    expect(agent).toMatchObject({ name: 'Knowledge assistant' });
    expect(agent!.actions).toEqual(['ask-knowledge-base', 'draft-issue-reply']);
    // The prompt steers the agent to the actions and to citing sources as links.
    for (const key of agent!.actions!) expect(agent!.prompt).toContain(key);
    expect(agent!.prompt).toContain('[title](url)');

    const actions = new Map(modulesOf('action').map((a) => [a.key, a]));
    expect(actions.get('ask-knowledge-base')).toMatchObject({
      function: 'rovo-ask',
      actionVerb: 'GET',
      inputs: { question: { type: 'string', required: true } },
    });
    expect(actions.get('draft-issue-reply')).toMatchObject({
      function: 'rovo-draft-reply',
      inputs: { issueKey: { type: 'string', required: true } },
    });
    const functions = new Map(modulesOf('function').map((f) => [f.key, f.handler]));
    expect(functions.get('rovo-ask')).toBe('index.askKnowledgeBase');
    expect(functions.get('rovo-draft-reply')).toBe('index.draftIssueReply');
  });

  it('points every function handler at a function the app exports', async () => {
    const app = (await import('../src/index')) as Record<string, unknown>;
    for (const fn of modulesOf('function')) {
      const [file, exportName] = fn.handler!.split('.') as [string, string];
      // Forge resolves handlers under src/ beside manifest.yml: the root src/index.ts re-exports the app's.
      const exports = (await import(path.join(ROOT, 'src', file))) as Record<string, unknown>;
      expect({ handler: fn.handler, type: typeof exports[exportName] }).toEqual({
        handler: fn.handler,
        type: 'function',
      });
      expect(exports[exportName]).toBe(app[exportName]);
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
      [
        'read:app-user-token',
        'read:confluence-user',
        'read:jira-work',
        'search:confluence',
        // Page events: Forge requires these to deliver them (write: for trashed and deleted pages only).
        'read:confluence-content.summary',
        'write:confluence-content',
      ].sort(),
    );
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const scope of manifest.permissions.scopes) expect(readme).toContain(`\`${scope}\``);
  });
});
