import ForgeReconciler, { Heading, LoadingButton, Stack, TextArea } from '@forge/react';
import { useState } from 'react';
import { ChatPanel } from './chat-panel';
import { SourcesList } from './sources-list';
import { useChat, type Chat } from './use-chat';

/** The Jira issue panel: the same chat with the issue as context, plus a drafted reply to the reporter. */
export function JiraAssistant() {
  const chat = useChat();
  return (
    <ChatPanel
      chat={chat}
      subject="this issue"
      actions={
        <LoadingButton appearance="default" isLoading={chat.draftingReply} onClick={chat.draftReply}>
          Draft a reply
        </LoadingButton>
      }
    >
      <DraftedReply chat={chat} />
    </ChatPanel>
  );
}

function DraftedReply({ chat }: { chat: Chat }) {
  if (!chat.reply) return null;
  return (
    <Stack space="space.100">
      <Heading size="small">Drafted reply</Heading>
      <ReplyEditor key={chat.reply.answer} draft={chat.reply.answer} />
      <SourcesList sources={chat.reply.sources} />
    </Stack>
  );
}

/** A text area, not text: the agent edits the draft, selects all and pastes it into a comment. */
function ReplyEditor({ draft }: { draft: string }) {
  const [text, setText] = useState(draft);
  return (
    <TextArea
      value={text}
      minimumRows={6}
      resize="vertical"
      onChange={(event) => {
        setText(String(event.target.value ?? ''));
      }}
    />
  );
}

ForgeReconciler.render(<JiraAssistant />);
