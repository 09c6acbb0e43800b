import { ChatResponse, HISTORY_MAX_TURNS, MESSAGE_MAX_CHARS } from '@kb/contracts';
import { atlassianSite, FakeForgeRuntime } from '../fakes/forge-runtime';
import { ServiceDouble } from '../fakes/service-double';
import { handler } from '../../src/index';
import { INVOKE_PAYLOAD_MAX_BYTES, jsonBytes } from '../../src/payload-limits';
import { ANSWER_MAX_BYTES, SOURCES_MAX } from '../../src/resolvers/reply-size';
import { CONFLUENCE_PAGE } from '../helpers/forge-ui';

type Result = { ok: boolean; data?: ChatResponse; error?: { code: string; message: string } };

/** What the chat resolver accepts and returns, measured against Forge's 500 KB payload limit. */
describe('chat payload sizes', () => {
  // Each test gets its own double and runtime: a queued answer of one never reaches another.
  let service: ServiceDouble;
  let runtime: FakeForgeRuntime;

  beforeEach(async () => {
    service = await new ServiceDouble().start();
    runtime = new FakeForgeRuntime(service.url, atlassianSite({ admin: false }));
    runtime.install();
  });
  afterEach(async () => {
    runtime.uninstall();
    await service.stop();
  });

  const chat = async (payload: unknown) =>
    (await handler(
      { call: { functionKey: 'chat', payload }, context: { extension: CONFLUENCE_PAGE.extension } },
      { principal: { accountId: CONFLUENCE_PAGE.accountId } },
    )) as Result;
  const turns = (count: number, content: string) =>
    Array.from({ length: count }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content }));

  it('refuses a history heavier than the panels send, saying how heavy, before calling the service', async () => {
    // 20 turns of 16,000 three-byte characters: within the contract's counts, about 940 KB as JSON.
    const result = await chat({
      message: 'hi',
      history: turns(HISTORY_MAX_TURNS, '€'.repeat(MESSAGE_MAX_CHARS * 4)),
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(result.error!.message).toMatch(/history is too large: \d+ KB, at most 160 KB/);
    expect(result.error!.message).toContain('history');
    expect(service.requests).toEqual([]);
  });

  it('refuses more turns than the contract allows', async () => {
    const result = await chat({ message: 'hi', history: turns(HISTORY_MAX_TURNS + 1, 'a') });
    expect(result.error!.message).toContain(`history holds at most ${String(HISTORY_MAX_TURNS)} turns`);
    expect(service.requests).toEqual([]);
  });

  it('accepts a full history within the limits', async () => {
    const result = await chat({ message: 'hi', history: turns(HISTORY_MAX_TURNS, 'ü'.repeat(3_000)) });
    expect(result.ok).toBe(true);
  });

  it('keeps its reply under the payload limit however much the service returns, cited sources first', async () => {
    service.nextAnswers.push({
      answer: `Start [1] ${'€'.repeat(1_000_000)}`,
      sources: Array.from({ length: 50 }, (_, i) => ({
        n: i + 1,
        id: `confluence:page:${String(i)}#0`,
        title: `Page ${String(i + 1)} ${'t'.repeat(20_000)}`,
        url: `https://example.atlassian.net/wiki/pages/${String(i)}`,
        snippet: 's'.repeat(100_000),
        score: 1 - i / 100,
        cited: i >= 45,
      })),
    });
    const result = await chat({ message: 'Tell me everything' });
    expect(result.ok).toBe(true);
    expect(jsonBytes(result)).toBeLessThan(INVOKE_PAYLOAD_MAX_BYTES);
    const reply = result.data!;
    expect(reply.answer.startsWith('Start [1] €€')).toBe(true);
    expect(jsonBytes(reply.answer)).toBeLessThanOrEqual(ANSWER_MAX_BYTES);
    expect(reply.sources).toHaveLength(SOURCES_MAX);
    // The five cited sources are among those kept, and the order stays the answer's numbering.
    expect(reply.sources.filter((s) => s.cited).map((s) => s.n)).toEqual([46, 47, 48, 49, 50]);
    expect(reply.sources.map((s) => s.n)).toEqual([...reply.sources.map((s) => s.n)].sort((a, b) => a - b));
    for (const s of reply.sources) {
      expect(s.snippet.endsWith('…')).toBe(true);
      expect(s.snippet.length).toBeLessThan(1_000);
      expect(s.url).toMatch(/^https:\/\//);
    }
  });
});
