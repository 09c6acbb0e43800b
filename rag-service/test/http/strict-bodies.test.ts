import { ErrorBody } from '@kb/contracts';
import { useTestService } from '../helpers/service.js';

const post = (url: string, path: string, body: unknown) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** Contract: "Unknown fields anywhere in the request are refused (400 naming the field)". */
describe('unknown fields in request bodies', () => {
  const t = useTestService();

  it.each([
    ['a misspelt filter', { filters: { spaceKey: 'ENG' } }, 'unrecognized key "spaceKey" at filters'],
    ['a top-level field', { sauce: 'x' }, 'unrecognized key "sauce"'],
    [
      'a field in a history turn',
      { history: [{ role: 'user', content: 'hi', name: 'x' }] },
      'unrecognized key "name" at history.0',
    ],
    [
      'a field in the context',
      { context: { product: 'web', space: 'ENG' } },
      'unrecognized key "space" at context',
    ],
    [
      'fields in the Jira issue',
      { context: { issue: { key: 'SUP-7', priority: 'P1', labels: [] } } },
      'unrecognized keys "priority", "labels" at context.issue',
    ],
  ])('chat: %s → 400 naming it', async (_what, extra, named) => {
    const res = await post(t.url, '/api/v1/chat', { message: 'How do I reindex?', ...extra });
    expect(res.status).toBe(400);
    const error = ErrorBody.parse(await res.json()).error;
    expect(error.code).toBe('invalid_request');
    expect(error.message).toBe(`invalid request body: ${named}`);
  });

  it('reindex: an unknown field → 400 naming it', async () => {
    const res = await post(t.url, '/api/v1/admin/reindex', { source: 'files', spaces: ['ENG'] });
    expect(res.status).toBe(400);
    expect(ErrorBody.parse(await res.json()).error.message).toBe(
      'invalid request body: unrecognized key "spaces"',
    );
  });

  it('accepts every field the contract names, the Forge app’s account id included', async () => {
    const res = await post(t.url, '/api/v1/chat', {
      message: 'How do I rotate the API token?',
      history: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
      ],
      filters: { spaceKeys: ['ENG'] },
      context: {
        product: 'jira',
        accountId: '5b10ac8d82e05b22cc7d4ef5',
        spaceKey: 'ENG',
        pageId: '123',
        issue: { key: 'SUP-7', summary: 's', description: 'd' },
      },
    });
    expect(res.status).toBe(200);
  });

  it('documents the request schemas as closed in the OpenAPI document', async () => {
    const schemas = (
      (await (await fetch(`${t.url}/openapi.json`)).json()) as {
        components: { schemas: Record<string, { additionalProperties?: unknown }> };
      }
    ).components.schemas;
    for (const id of [
      'ChatRequest',
      'ChatTurn',
      'ChatFilters',
      'ChatContext',
      'JiraIssueContext',
      'ReindexRequest',
    ]) {
      expect([id, schemas[id]?.additionalProperties]).toEqual([id, false]);
    }
  });
});
