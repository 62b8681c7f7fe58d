// Past playground conversations, newest first, kept in this browser's
// localStorage (the last 200).
import type { ChatSettings } from './sse';

export const HISTORY_LIMIT = 200;
const KEY = 'hydra.playground.history';

export interface Turn {
  role: 'user' | 'assistant';
  content: string;
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  latency_ms?: number;
  first_token_ms?: number | null;
  error?: string;
}

export interface PanelState {
  model: string;
  settings: ChatSettings;
  turns: Turn[];
}

export interface Conversation {
  id: string;
  time: number;
  title: string;
  panels: PanelState[];
}

export function loadHistory(): Conversation[] {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

// Puts the conversation first (replacing an older copy) and keeps the limit.
export function saveConversation(c: Conversation): Conversation[] {
  const list = [c, ...loadHistory().filter((x) => x.id !== c.id)].slice(0, HISTORY_LIMIT);
  localStorage.setItem(KEY, JSON.stringify(list));
  return list;
}

export function deleteConversation(id: string): Conversation[] {
  const list = loadHistory().filter((x) => x.id !== id);
  localStorage.setItem(KEY, JSON.stringify(list));
  return list;
}

export function clearHistory(): void {
  localStorage.removeItem(KEY);
}
