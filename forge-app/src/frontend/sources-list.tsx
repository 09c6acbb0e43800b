import type { Source } from '@kb/contracts';
import { Link, List, ListItem, Text } from '@forge/react';

/** The numbered sources of an answer; `[n]` in the answer refers to item n. Cited ones first. */
export function SourcesList({ sources }: { sources: Source[] }) {
  if (sources.length === 0) return null;
  const ordered = [...sources].sort((a, b) => Number(b.cited) - Number(a.cited) || a.n - b.n);
  return (
    <List type="ordered">
      {ordered.map((source) => (
        <ListItem key={source.id}>
          <Text>
            [{source.n}]{' '}
            {isWebLink(source.url) ? (
              <Link href={source.url} openNewTab>
                {source.title}
              </Link>
            ) : (
              source.title
            )}
          </Text>
        </ListItem>
      ))}
    </List>
  );
}

/** Only http(s) links become anchors: a file path from a local folder is shown, not linked. */
function isWebLink(url: string): boolean {
  return /^https?:\/\//i.test(url);
}
