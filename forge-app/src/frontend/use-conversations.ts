import type { ConversationSummary } from '@kb/contracts';
import { useEffect, useRef, useState } from 'react';
import { callResolver } from './call-resolver';
import type { Failure } from './use-chat';

/** A page of the list: enough to find last week's question without crowding a side panel. */
export const RECENT_PAGE_SIZE = 10;

export interface Conversations {
  open: boolean;
  /** False once the service said it keeps no history: the panel then offers no list at all. */
  available: boolean;
  loading: boolean;
  items: ConversationSummary[];
  /** More to show, a page at a time. */
  hasMore: boolean;
  failure: Failure | null;
  /** The conversation being deleted, whose row shows it is busy. */
  deleting: string | null;
  toggle: () => void;
  close: () => void;
  loadMore: () => void;
  remove: (id: string) => void;
}

/**
 * The reader's recent conversations, loaded each time the list opens (a question asked a moment ago is
 * on it). A service without history answers `no_history`: the list goes away rather than showing an error.
 */
export function useConversations(onDeleted: (id: string) => void): Conversations {
  const [open, setOpen] = useState(false);
  const [available, setAvailable] = useState(true);
  const [loading, setLoading] = useState(false);
  const [items, setItems] = useState<ConversationSummary[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );

  const load = (cursor: string | null): void => {
    setLoading(true);
    setFailure(null);
    void callResolver('listConversations', {
      limit: RECENT_PAGE_SIZE,
      ...(cursor ? { cursor } : {}),
    }).then((result) => {
      if (!mounted.current) return;
      setLoading(false);
      if (result.ok) {
        setItems((shown) => (cursor ? [...shown, ...result.data.conversations] : result.data.conversations));
        setNextCursor(result.data.nextCursor);
      } else if (result.error.code === 'no_history') {
        setAvailable(false);
        setOpen(false);
      } else {
        setFailure({ error: result.error, retry: () => load(cursor) });
      }
    });
  };

  const toggle = (): void => {
    if (open) {
      setOpen(false);
      return;
    }
    setOpen(true);
    setItems([]);
    setNextCursor(null);
    load(null);
  };

  const remove = (id: string): void => {
    if (deleting) return;
    setDeleting(id);
    setFailure(null);
    void callResolver('deleteConversation', { id }).then((result) => {
      if (!mounted.current) return;
      setDeleting(null);
      if (!result.ok) {
        setFailure({ error: result.error, retry: () => remove(id) });
        return;
      }
      setItems((shown) => shown.filter((c) => c.id !== id));
      onDeleted(id);
    });
  };

  return {
    open,
    available,
    loading,
    items,
    hasMore: nextCursor !== null,
    failure,
    deleting,
    toggle,
    close: () => setOpen(false),
    loadMore: () => {
      if (nextCursor && !loading) load(nextCursor);
    },
    remove,
  };
}
