// Two message catalogs with the same keys (the zh-CN one is typed against
// the en-US one, and a browser test compares them). t() fills {name}
// placeholders; a missing key shows as the key itself, which the tests
// look for on every page.
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { enUS, type MessageKey } from './en-US';
import { zhCN } from './zh-CN';
import type { Localized } from '../api/types';

export type Lang = 'en-US' | 'zh-CN';
export const catalogs: Record<Lang, Record<MessageKey, string>> = { 'en-US': enUS, 'zh-CN': zhCN };
const LANG_KEY = 'hydra.lang';

function initialLang(): Lang {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved === 'en-US' || saved === 'zh-CN') return saved;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en-US';
}

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

interface I18n {
  lang: Lang;
  setLang: (l: Lang) => void;
  t: Translate;
  // The text of a Localized field in the chosen language, else the other one.
  local: (text: Localized | undefined) => string;
}

const Ctx = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const setLang = useCallback((l: Lang) => {
    localStorage.setItem(LANG_KEY, l);
    document.documentElement.lang = l;
    setLangState(l);
  }, []);
  const value = useMemo<I18n>(() => {
    document.documentElement.lang = lang;
    const catalog = catalogs[lang];
    const t: Translate = (key, vars) => {
      let s = catalog[key] ?? key;
      for (const [k, v] of Object.entries(vars ?? {})) s = s.split(`{${k}}`).join(String(v));
      return s;
    };
    const local = (text: Localized | undefined) =>
      (lang === 'zh-CN' ? text?.zhCN || text?.enUS : text?.enUS || text?.zhCN) ?? '';
    return { lang, setLang, t, local };
  }, [lang, setLang]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(Ctx);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}
