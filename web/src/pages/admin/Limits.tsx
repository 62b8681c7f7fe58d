// Rate-limit rules (requests, tokens, images or concurrency per window, for
// a scope) and quotas (token or cost budgets per period).
import { Tabs, Tag, Typography } from 'antd';
import { useI18n } from '../../i18n';
import { ResourceTable, type Row } from './ResourceTable';

const target = (r: Row) => [r.workspace_id, r.key_id, r.user_id, r.model].filter(Boolean).join(' · ') || '*';

export default function AdminLimitsPage() {
  const { t } = useI18n();
  return (
    <div>
      <Typography.Title level={2} style={{ marginTop: 0 }}>
        {t('limits.title')}
      </Typography.Title>
      <Tabs
        items={[
          {
            key: 'rules',
            label: t('limits.rules'),
            children: (
              <ResourceTable
                path="/limits"
                template={{ scope: 'key', metric: 'requests', limit: 60, window_seconds: 60 }}
                columns={[
                  { title: t('limits.scope'), render: (r) => <Tag>{String(r.scope)}</Tag> },
                  { title: t('limits.target'), render: target },
                  { title: t('maas.metric'), render: (r) => String(r.metric) },
                  { title: t('maas.limit'), render: (r) => `${r.limit} / ${r.window_seconds ?? ''} s` },
                ]}
              />
            ),
          },
          {
            key: 'quotas',
            label: t('limits.quotas'),
            children: (
              <ResourceTable
                path="/quotas"
                template={{ scope: 'user+model', metric: 'tokens', period: 'total', budget: 10000, description: '' }}
                columns={[
                  { title: t('limits.scope'), render: (r) => <Tag>{String(r.scope)}</Tag> },
                  { title: t('limits.target'), render: target },
                  { title: t('limits.budget'), render: (r) => `${r.budget} ${r.metric}` },
                  { title: t('limits.period'), render: (r) => String(r.period) },
                  { title: t('ws.description'), render: (r) => String(r.description ?? '') },
                ]}
              />
            ),
          },
        ]}
      />
    </div>
  );
}
