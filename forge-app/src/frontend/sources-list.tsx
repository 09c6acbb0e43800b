import type { Source } from '@kb/contracts';
import { Link, List, ListItem, Text } from '@forge/react';
import { safeHref } from './markdown-inline';

/**
 * The numbered sources of an answer; `[n]` in the answer refers to item n. Cited ones first. Each links
 * to its page at the cited section: the service's `url` carries the section's anchor and its `title`
 * reads "Page › Section".
 */
export function SourcesList({ sources }: { sources: Source[] }) {
  if (sources.length === 0) return null;
  const ordered = [...sources].sort((a, b) => Number(b.cited) - Number(a.cited) || a.n - b.n);
  return (
    <List type="ordered">
      {ordered.map((source) => {
        // Only http(s) addresses become links: a file path from a local folder is shown, not linked.
        const href = safeHref(source.url);
        return (
          <ListItem key={source.id}>
            <Text>
              [{source.n}]{' '}
              {href ? (
                <Link href={href} openNewTab>
                  {source.title}
                </Link>
              ) : (
                source.title
              )}
            </Text>
          </ListItem>
        );
      })}
    </List>
  );
}
