import ForgeReconciler from '@forge/react';
import { ChatPanel } from './chat-panel';
import { useChat } from './use-chat';

/**
 * The Confluence chat: the page byline item and the space page share it. The resolver adds the page and
 * space from Forge's context, so answers prefer what the reader is looking at.
 */
export function ConfluenceChat() {
  const chat = useChat();
  return <ChatPanel chat={chat} subject="this page, this space or anything in the knowledge base" />;
}

ForgeReconciler.render(<ConfluenceChat />);
