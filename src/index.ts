// Forge resolves function handlers under src/ beside manifest.yml; the app's code lives in forge-app/.
export { askKnowledgeBase, draftIssueReply, handler } from '../forge-app/src/index';
