/**
 * The part of Atlassian Document Format (ADF) an answer is rendered with: the nodes and marks the
 * Markdown converter produces, no more. Kept narrow on purpose: nothing here can carry HTML, scripts,
 * media or extensions, so a document built from these types is safe to hand to `AdfRenderer`.
 */

export type AdfMark =
  | { type: 'strong' }
  | { type: 'em' }
  | { type: 'strike' }
  | { type: 'code' }
  | { type: 'link'; attrs: { href: string } };

export interface AdfText {
  type: 'text';
  text: string;
  marks?: AdfMark[];
}

export type AdfInline = AdfText | { type: 'hardBreak' };

export interface AdfParagraph {
  type: 'paragraph';
  content: AdfInline[];
}

export interface AdfHeading {
  type: 'heading';
  attrs: { level: 1 | 2 | 3 | 4 | 5 | 6 };
  content: AdfInline[];
}

/** ADF code blocks hold plain text only: no marks. */
export interface AdfCodeBlock {
  type: 'codeBlock';
  attrs?: { language: string };
  content: { type: 'text'; text: string }[];
}

/** A list item starts with a paragraph (or code), as ADF requires; nested lists come after it. */
export interface AdfListItem {
  type: 'listItem';
  content: (AdfParagraph | AdfCodeBlock | AdfList)[];
}

export type AdfList =
  | { type: 'bulletList'; content: AdfListItem[] }
  | { type: 'orderedList'; attrs: { order: number }; content: AdfListItem[] };

export interface AdfBlockquote {
  type: 'blockquote';
  content: (AdfParagraph | AdfCodeBlock | AdfList)[];
}

export type AdfBlock = AdfParagraph | AdfHeading | AdfCodeBlock | AdfList | AdfBlockquote | { type: 'rule' };

export interface AdfDoc {
  type: 'doc';
  version: 1;
  content: AdfBlock[];
}
