// The API key a try-out page calls the gateway with: one remembered in this
// browser for the workspace, else a new one made on first use.
import { useEffect, useRef, useState } from 'react';
import { createPlaygroundKey, storedKeys, type StoredKey } from './keys';

export function usePlaygroundKey(workspace: string, onCreated: (k: StoredKey) => void): { key: StoredKey | null; error: string } {
  const [key, setKey] = useState<StoredKey | null>(null);
  const [error, setError] = useState('');
  const creating = useRef('');
  const created = useRef(onCreated);
  created.current = onCreated;
  useEffect(() => {
    const mine = storedKeys(workspace);
    if (mine.length > 0) {
      setKey(mine[0]);
      return;
    }
    if (creating.current === workspace) return;
    creating.current = workspace;
    createPlaygroundKey(workspace)
      .then((k) => {
        setKey(k);
        created.current(k);
      })
      .catch((e: Error) => setError(e.message));
  }, [workspace]);
  return { key, error };
}
