import { atlassianSite, FakeForgeRuntime, type ProductHandler } from '../fakes/forge-runtime';
import { ServiceDouble } from '../fakes/service-double';

/**
 * Renders a UI Kit entry the way Forge does: `ForgeReconciler.render` sends the tree over the bridge
 * (`callBridge('reconcile', { forgeDoc })`), and `invoke` from @forge/bridge arrives as
 * `callBridge('invoke', …)`, which goes to the app's real resolver handler with the module's context.
 * Tests read the rendered tree and drive it through its own props (`onClick`, `onChange`).
 */

export interface ForgeNode {
  type: string;
  props: Record<string, unknown>;
  children: ForgeNode[];
}

/** The app's resolver handler, as manifest.yml names it. */
export type ResolverHandler = (typeof import('../../src/index'))['handler'];

export interface ModuleContext {
  accountId: string;
  extension: Record<string, unknown>;
}

export class ForgeUi {
  private doc: ForgeNode | undefined;
  /** Every text the page has shown, in order: progress that came and went can still be asserted. */
  readonly seenTexts: string[] = [];
  readonly invocations: { functionKey: string; payload: unknown }[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Waiters of `waitFor`, woken whenever something they may be watching changes. */
  private readonly watchers = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly handler: ResolverHandler,
    private readonly context: ModuleContext,
  ) {}

  install(): void {
    const g = globalThis as { self?: unknown; __bridge?: unknown };
    g.self = globalThis;
    g.__bridge = { callBridge: (cmd: string, data: unknown) => this.callBridge(cmd, data) };
  }

  private async callBridge(cmd: string, data: unknown): Promise<unknown> {
    if (cmd === 'reconcile') {
      this.doc = (data as { forgeDoc: ForgeNode }).forgeDoc;
      this.seenTexts.push(this.text());
      this.changed();
      return undefined;
    }
    if (cmd === 'invoke') {
      // A closed panel's timers may still fire; their calls never reach a resolver (nor its logging).
      if (this.closed) return new Promise(() => undefined);
      const call = this.invoke(data);
      this.inFlight.add(call);
      void call
        .finally(() => {
          this.inFlight.delete(call);
          this.changed();
        })
        .catch(() => undefined);
      return call;
    }
    if (cmd === 'onError') throw (data as { error: unknown }).error;
    throw new Error(`the test bridge does not serve ${cmd}`);
  }

  /** Stops serving resolver calls and waits for those under way, so nothing runs after a test file ends. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
  }

  private async invoke(data: unknown): Promise<unknown> {
    const { functionKey, payload } = data as { functionKey: string; payload?: unknown };
    // The bridge serialises payloads as JSON: a function or a Date in one would not survive.
    const wire = JSON.parse(JSON.stringify(payload ?? {})) as unknown;
    this.invocations.push({ functionKey, payload: wire });
    const result = await this.handler(
      {
        call: { functionKey, payload: wire },
        context: {
          cloudId: 'cloud-1',
          siteUrl: 'https://example.atlassian.net',
          extension: this.context.extension,
        },
      },
      { principal: { accountId: this.context.accountId } },
    );
    return JSON.parse(JSON.stringify(result)) as unknown;
  }

  root(): ForgeNode {
    if (!this.doc) throw new Error('nothing rendered yet');
    return this.doc;
  }

  /** Every node of a type (and passing `where`), depth first. */
  all(
    type: string,
    where: (node: ForgeNode) => boolean = () => true,
    from: ForgeNode = this.root(),
  ): ForgeNode[] {
    const found: ForgeNode[] = [];
    const visit = (node: ForgeNode): void => {
      if (node.type === type && where(node)) found.push(node);
      node.children.forEach(visit);
    };
    visit(from);
    return found;
  }

  /** The text a node shows, its String leaves joined (and the text of the ADF documents it renders). */
  text(node: ForgeNode = this.root()): string {
    if (node.type === 'String') return String(node.props.text);
    if (node.type === 'AdfRenderer') return adfText(node.props.document);
    return node.children.map((child) => this.text(child)).join('');
  }

  /** A DynamicTable's body as text, row by row (UI Kit sends rows as Row and Cell nodes). */
  tableRows(caption: string): string[][] {
    const table = this.all('DynamicTable', (t) => t.props.caption === caption)[0];
    if (!table) throw new Error(`no table "${caption}"`);
    return this.all('Row', () => true, table).map((row) =>
      this.all('Cell', () => true, row).map((c) => this.text(c)),
    );
  }

  /** The chat's question box (the drafted reply is a text area too). */
  questionBox(): ForgeNode {
    return this.all('TextArea', (t) => t.props.placeholder === 'Ask a question…')[0]!;
  }

  /** The one Button or LoadingButton labelled `label`. */
  button(label: string): ForgeNode {
    const buttons = [...this.all('Button'), ...this.all('LoadingButton')].filter(
      (b) => this.text(b) === label,
    );
    if (buttons.length !== 1)
      throw new Error(`expected one button "${label}", found ${String(buttons.length)}`);
    return buttons[0]!;
  }

  hasButton(label: string): boolean {
    return [...this.all('Button'), ...this.all('LoadingButton')].some((b) => this.text(b) === label);
  }

  click(label: string): void {
    const button = this.button(label);
    if (button.props.isDisabled === true) throw new Error(`button "${label}" is disabled`);
    (button.props.onClick as () => void)();
  }

  /** Fires a node's onChange with the event shape UI Kit sends (a serialised event with `target`). */
  change(node: ForgeNode, target: { value?: string; checked?: boolean }): void {
    (node.props.onChange as (e: unknown) => void)({ type: 'change', target });
  }

  private changed(): void {
    for (const wake of [...this.watchers]) wake();
  }

  /**
   * Resolves once `check` holds, looking again at every render and every resolver call that ends (the
   * only moments the page or the service double change), not on a clock: a state the page shows only
   * briefly (a loading button) is seen however fast or slow the machine. `timeoutMs` only turns a hang
   * into a failure that says what the page shows; it never decides a passing test.
   */
  async waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const holds = (): boolean => {
      try {
        return check();
      } catch {
        return false; // not rendered yet
      }
    };
    if (holds()) return;
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.watchers.delete(wake);
        clearTimeout(timer);
      };
      const wake = (): void => {
        if (!holds()) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}; the page shows: ${this.text()}`));
      }, timeoutMs);
      this.watchers.add(wake);
    });
  }

  waitForText(text: string, timeoutMs?: number): Promise<void> {
    return this.waitFor(() => this.text().includes(text), `"${text}"`, timeoutMs);
  }
}

export const CONFLUENCE_PAGE: ModuleContext = {
  accountId: 'acc-reader',
  extension: {
    type: 'confluence:contentBylineItem',
    content: { id: '123', type: 'page' },
    space: { key: 'ENG', id: '98305' },
  },
};

export const JIRA_ISSUE: ModuleContext = {
  accountId: 'acc-agent',
  extension: {
    type: 'jira:issuePanel',
    issue: { key: 'SUP-7', id: '10001', type: 'Bug' },
    project: { key: 'SUP' },
  },
};

export const CONFLUENCE_SETTINGS: ModuleContext = {
  accountId: 'acc-admin',
  extension: { type: 'confluence:globalSettings' },
};

export const JIRA_ADMIN: ModuleContext = {
  accountId: 'acc-jira-admin',
  extension: { type: 'jira:adminPage' },
};

export interface OpenPanel {
  ui: ForgeUi;
  service: ServiceDouble;
  runtime: FakeForgeRuntime;
  close(): Promise<void>;
}

/**
 * Opens a UI Kit entry in a module's context, wired to the real resolver handler, the real @forge/api
 * (through a test Forge runtime), Jira/Confluence as `site` and a contract-checked service double; resolves
 * once the panel shows `ready`.
 */
export async function openPanel(
  loadEntry: () => Promise<unknown>,
  module: ModuleContext,
  site: ProductHandler,
  ready: (ui: ForgeUi) => boolean,
  /** Serve the service in process, for tests that switch to jest's fake timers (no socket I/O to wait for). */
  options: { inMemory?: boolean; prepare?: (service: ServiceDouble) => void } = {},
): Promise<OpenPanel> {
  // A fresh module registry: the entry renders anew (a cached module would not render again), and no
  // module-level state of the app carries over from an earlier panel.
  jest.resetModules();
  const service = await new ServiceDouble().start();
  options.prepare?.(service);
  const runtime = new FakeForgeRuntime(options.inMemory ? service.serveInMemory : service.url, site);
  runtime.install();
  const { handler } = await import('../../src/index');
  const ui = new ForgeUi(handler, module);
  ui.install();
  await loadEntry();
  await ui.waitFor(() => ready(ui), 'the panel to open');
  return {
    ui,
    service,
    runtime,
    async close() {
      await ui.close();
      runtime.uninstall();
      await service.stop();
    },
  };
}

/** The words of an ADF document: text nodes joined, a line per block and per hard break. */
export function adfText(node: unknown): string {
  const n = node as { type?: string; text?: string; content?: unknown[] };
  if (n.type === 'text') return n.text ?? '';
  if (n.type === 'hardBreak') return '\n';
  const inner = (n.content ?? []).map(adfText);
  return n.type === 'paragraph' || n.type === 'heading' || n.type === 'codeBlock'
    ? inner.join('')
    : inner.join('\n');
}

/** The Confluence chat panel on a page, opened for a reader who is not an admin. */
export function openConfluenceChat(
  /** Sets the service up before the panel opens (stored conversations, history off). */
  prepare?: (service: ServiceDouble) => void,
): Promise<OpenPanel> {
  return openPanel(
    () => import('../../src/frontend/confluence-chat'),
    CONFLUENCE_PAGE,
    atlassianSite({ admin: false }),
    (u) => u.text().includes('Ask a question about this page'),
    prepare ? { prepare } : {},
  );
}

/** Every Button or LoadingButton labelled `label`, in the order shown (one per answer, one per row). */
export function buttonsLabelled(ui: ForgeUi, label: string, from?: ForgeNode): ForgeNode[] {
  const root = from ?? ui.root();
  return [...ui.all('Button', () => true, root), ...ui.all('LoadingButton', () => true, root)].filter(
    (b) => ui.text(b) === label,
  );
}
