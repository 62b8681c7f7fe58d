// Which optional parts of the API this server has (usage, deployments,
// limits, moderation and clusters arrive in later versions), read once from its OpenAPI document so
// the console shows only pages that work.
import { useEffect, useState } from 'react';

export interface Features {
  usage: boolean;
  deployments: boolean;
  limits: boolean;
  moderation: boolean;
  clusters: boolean;
}

let cached: Promise<Features> | null = null;

function load(): Promise<Features> {
  return fetch('/api/v1/openapi.json', { credentials: 'same-origin' })
    .then((r) => (r.ok ? r.json() : { paths: {} }))
    .then((doc: { paths?: Record<string, unknown> }) => {
      const paths = Object.keys(doc.paths ?? {});
      return {
        usage: paths.includes('/api/v1/usage'),
        deployments: paths.includes('/api/v1/deployments'),
        limits: paths.includes('/api/v1/limits') || paths.includes('/api/v1/rate-limit-rules'),
        moderation: paths.includes('/api/v1/moderation-rules'),
        clusters: paths.includes('/api/v1/clusters'),
      };
    })
    .catch(() => ({ usage: false, deployments: false, limits: false, moderation: false, clusters: false }));
}

export function useFeatures(): Features | null {
  const [f, setF] = useState<Features | null>(null);
  useEffect(() => {
    cached ??= load();
    let live = true;
    void cached.then((v) => live && setF(v));
    return () => {
      live = false;
    };
  }, []);
  return f;
}
