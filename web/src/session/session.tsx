// Who is logged in, in which workspace. Loaded from /auth/me; a 401 from any
// call sends the user back to the login page.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, currentWorkspace, setCurrentWorkspace, setUnauthenticatedHandler } from '../api/client';
import type { Me } from '../api/types';

interface Session {
  me: Me | null;
  loading: boolean;
  isAdmin: boolean;
  workspaceId: string;
  refresh: () => Promise<void>;
  login: (name: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
  switchWorkspace: (id: string) => void;
}

const Ctx = createContext<Session | null>(null);

// Set while this browser holds a session, so a visitor who never logged in
// gets the login page without a failing /auth/me call.
const SIGNED_IN = 'hydra.signedIn';

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [loading, setLoading] = useState(true);

  const refresh = useCallback(async () => {
    if (!localStorage.getItem(SIGNED_IN)) {
      setMe(null);
      setLoading(false);
      return;
    }
    try {
      const m = await api<Me>('/auth/me');
      if (!currentWorkspace() || !m.workspaces.some((w) => w.id === currentWorkspace())) {
        setCurrentWorkspace(m.workspace_id);
      }
      setMe(m);
    } catch {
      localStorage.removeItem(SIGNED_IN);
      setMe(null);
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      localStorage.removeItem(SIGNED_IN);
      setMe(null);
    });
    void refresh();
  }, [refresh]);

  const login = useCallback(
    async (name: string, password: string) => {
      localStorage.removeItem('hydra.workspace');
      await api('/auth/login', { method: 'POST', body: { name, password } });
      localStorage.setItem(SIGNED_IN, '1');
      await refresh();
    },
    [refresh],
  );

  const logout = useCallback(async () => {
    try {
      await api('/auth/logout', { method: 'POST' });
    } finally {
      localStorage.removeItem(SIGNED_IN);
      setMe(null);
    }
  }, []);

  const switchWorkspace = useCallback((id: string) => {
    setCurrentWorkspace(id);
    setMe((m) => (m ? { ...m, workspace_id: id } : m));
  }, []);

  const value = useMemo<Session>(
    () => ({
      me,
      loading,
      isAdmin: me?.user.role === 'admin',
      workspaceId: me?.workspace_id ?? '',
      refresh,
      login,
      logout,
      switchWorkspace,
    }),
    [me, loading, refresh, login, logout, switchWorkspace],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useSession(): Session {
  const v = useContext(Ctx);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}
