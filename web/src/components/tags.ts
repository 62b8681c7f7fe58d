import type { MessageKey } from '../i18n/en-US';

// Model types with a name in both languages; other tags show as they are.
export const knownTags: Record<string, MessageKey> = {
  TEXT_GENERATION: 'tag.TEXT_GENERATION',
  TEXT_TO_IMAGE: 'tag.TEXT_TO_IMAGE',
  IMAGE_TO_TEXT: 'tag.IMAGE_TO_TEXT',
  EMBEDDING: 'tag.EMBEDDING',
  RERANK_MODEL: 'tag.RERANK_MODEL',
  TOOLS: 'tag.TOOLS',
  VIDEO_TO_TEXT: 'tag.VIDEO_TO_TEXT',
};

export const tagColours: Record<string, string> = {
  TEXT_GENERATION: 'blue',
  TEXT_TO_IMAGE: 'magenta',
  IMAGE_TO_TEXT: 'purple',
  EMBEDDING: 'cyan',
  RERANK_MODEL: 'gold',
};
