import type { ChatResponse, Source } from '@kb/contracts';

/**
 * An answer as Markdown for the Rovo agent: each `[n]` citation becomes a link `[title](url)` to the
 * cited page and section, and the sources follow as a list of links, so the agent can quote them as they
 * are. Only http(s) addresses become links; a source without one (a local file) is named, not linked.
 */
export function linkedAnswer(reply: ChatResponse): string {
  const byNumber = new Map(reply.sources.map((s) => [s.n, s]));
  const answer = reply.answer.replace(/\[(\d{1,3})\]/g, (marker, n: string) => {
    const source = byNumber.get(Number(n));
    return source ? reference(source) : marker;
  });
  const cited = reply.sources.filter((s) => s.cited);
  const listed = cited.length ? cited : reply.sources;
  if (listed.length === 0) return answer;
  return `${answer}\n\nSources:\n${listed.map((s) => `- ${reference(s)}`).join('\n')}`;
}

function reference(source: Source): string {
  const title = linkText(source.title);
  const url = webUrl(source.url);
  return url ? `[${title}](${url})` : title;
}

/** Brackets and backslashes escaped, line breaks flattened: a title cannot end the link early. */
function linkText(title: string): string {
  return (title.replace(/\s+/g, ' ').trim() || 'source').replace(/[\\[\]]/g, '\\$&');
}

/** The address when it is http(s), with the characters that would end a Markdown link percent-encoded. */
function webUrl(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  } catch {
    return undefined;
  }
  return url.replace(/[\s()<>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
