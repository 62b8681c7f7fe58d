// API keys the playground can use. The server shows a key's plaintext only
// once, so keys created here (or pasted) are remembered in this browser,
// per workspace.
import { api } from '../api/client';
import type { ApiKeyCreated } from '../api/types';

export interface StoredKey {
  id: string;
  name: string;
  masked: string;
  key: string;
  workspace: string;
}

const KEY = 'hydra.playground.keys';

export function storedKeys(workspace: string): StoredKey[] {
  try {
    const all = JSON.parse(localStorage.getItem(KEY) ?? '[]') as StoredKey[];
    return all.filter((k) => k.workspace === workspace);
  } catch {
    return [];
  }
}

export function rememberKey(k: StoredKey): void {
  let all: StoredKey[] = [];
  try {
    all = JSON.parse(localStorage.getItem(KEY) ?? '[]');
  } catch {
    all = [];
  }
  localStorage.setItem(KEY, JSON.stringify([k, ...all.filter((x) => x.key !== k.key)].slice(0, 50)));
}

export function forgetKey(id: string): void {
  try {
    const all = JSON.parse(localStorage.getItem(KEY) ?? '[]') as StoredKey[];
    localStorage.setItem(KEY, JSON.stringify(all.filter((x) => x.id !== id)));
  } catch {
    localStorage.removeItem(KEY);
  }
}

export function maskKey(key: string): string {
  return key.length > 12 ? `${key.slice(0, 6)}...${key.slice(-4)}` : key;
}

export async function createPlaygroundKey(workspace: string): Promise<StoredKey> {
  const created = await api<ApiKeyCreated>('/api-keys', { method: 'POST', body: { name: 'playground' } });
  const k = { id: created.id, name: created.name, masked: created.masked, key: created.key, workspace };
  rememberKey(k);
  return k;
}
