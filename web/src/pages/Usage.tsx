// 调用监控: totals for a period, calls and tokens over time, breakdowns by
// key and by model, failures by error code, recent calls, CSV export.
import { useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Card, Col, Empty, Row, Segmented, Space, Statistic, Table, Tag, Typography } from 'antd';
import { DownloadOutlined } from '@ant-design/icons';
import { api, apiFetch, download } from '../api/client';
import { useI18n } from '../i18n';
import { useFeatures } from '../api/features';
import { useSession } from '../session/session';
import { LineChart } from '../components/LineChart';
import { formatTime } from '../components/format';

interface Totals {
  calls: number;
  failures: number;
  aborted: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost: number;
}
interface Group extends Totals {
  bucket?: number;
  key_id?: string;
  model?: string;
}
interface Failure {
  status: number;
  error_code: number;
  count: number;
  last_time: number;
}
interface UsageRecord {
  id: string;
  time: number;
  key_id: string;
  model: string;
  status: number;
  error_code: number;
  prompt_tokens: number;
  completion_tokens: number;
  latency_ms: number;
  ttft_ms: number;
}
interface UsagePage {
  items: UsageRecord[];
  total: number;
  totals: Totals;
  failures: Failure[];
  groups?: Group[];
}

const periods = { '24h': { ms: 86_400_000, bucket: 'hour' }, '7d': { ms: 7 * 86_400_000, bucket: 'day' }, '30d': { ms: 30 * 86_400_000, bucket: 'day' } } as const;
type Period = keyof typeof periods;

export default function UsagePage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const features = useFeatures();
  const { workspaceId, isAdmin } = useSession();
  const [period, setPeriod] = useState<Period>('24h');
  const [data, setData] = useState<{ page: UsagePage; time: Group[]; keys: Group[]; models: Group[] } | null>(null);
  const [error, setError] = useState('');
  // Administrators see the workspace chosen in the header, like everyone else.
  const query = useMemo(() => {
    const now = Date.now();
    return { from: now - periods[period].ms, to: now + 60_000, workspace_id: isAdmin ? workspaceId : undefined };
  }, [period, workspaceId, isAdmin]);

  useEffect(() => {
    if (!features?.usage) return;
    let live = true;
    const get = (group_by?: string, page_size = 1) => api<UsagePage>('/usage', { query: { ...query, group_by, page_size } });
    Promise.all([get(undefined, 20), get(periods[period].bucket), get('key'), get('model')])
      .then(([page, time, keys, models]) => live && setData({ page, time: time.groups ?? [], keys: keys.groups ?? [], models: models.groups ?? [] }))
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [features, query, period]);

  const series = useMemo(
    () => [
      { name: t('usage.calls'), data: (data?.time ?? []).map((g) => [g.bucket ?? 0, g.calls] as [number, number]) },
      { name: t('usage.tokens'), data: (data?.time ?? []).map((g) => [g.bucket ?? 0, g.total_tokens] as [number, number]) },
    ],
    [data, t],
  );

  const exportCsv = async () => {
    try {
      await download(await apiFetch('/usage/export', { query }), 'usage.csv');
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  const groupColumns = (first: 'key_id' | 'model') => [
    { title: first === 'key_id' ? t('usage.key') : t('play.model'), dataIndex: first },
    { title: t('usage.calls'), dataIndex: 'calls' },
    { title: t('usage.failures'), dataIndex: 'failures' },
    { title: t('usage.input'), dataIndex: 'prompt_tokens' },
    { title: t('usage.output'), dataIndex: 'completion_tokens' },
    { title: t('usage.cost'), dataIndex: 'cost', render: (v: number) => v.toFixed(4) },
  ];

  const totals = data?.page.totals;
  return (
    <div>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={2} style={{ marginTop: 0 }}>
          {t('nav.usage')}
        </Typography.Title>
        <Space wrap>
          <Segmented<Period>
            value={period}
            onChange={setPeriod}
            options={[
              { value: '24h', label: t('usage.last24h') },
              { value: '7d', label: t('usage.last7d') },
              { value: '30d', label: t('usage.last30d') },
            ]}
          />
          <Button icon={<DownloadOutlined />} onClick={() => void exportCsv()} disabled={!features?.usage} data-testid="usage-export">
            {t('audit.export')}
          </Button>
        </Space>
      </Space>
      {features && !features.usage && <Empty description={t('usage.unavailable')} />}
      {error && <Alert type="error" showIcon message={error} />}
      {totals && (
        <>
          <Row gutter={[12, 12]} data-testid="usage-totals">
            {[
              [t('usage.calls'), totals.calls],
              [t('usage.failures'), totals.failures],
              [t('usage.input'), totals.prompt_tokens],
              [t('usage.output'), totals.completion_tokens],
              [t('usage.cost'), totals.cost.toFixed(4)],
            ].map(([title, value]) => (
              <Col key={String(title)} xs={12} md={8} xl={4}>
                <Card size="small">
                  <Statistic title={title} value={value} />
                </Card>
              </Col>
            ))}
          </Row>
          <Card size="small" title={t('usage.overTime')} style={{ marginTop: 12 }}>
            <LineChart series={series} label={t('usage.overTime')} />
          </Card>
          <Row gutter={[12, 12]} style={{ marginTop: 12 }}>
            <Col xs={24} xl={12}>
              <Card size="small" title={t('usage.byKey')}>
                <Table<Group> size="small" rowKey={(g) => g.key_id ?? ''} pagination={false} scroll={{ x: true }} dataSource={data.keys} columns={groupColumns('key_id')} />
              </Card>
            </Col>
            <Col xs={24} xl={12}>
              <Card size="small" title={t('usage.byModel')}>
                <Table<Group> size="small" rowKey={(g) => g.model ?? ''} pagination={false} scroll={{ x: true }} dataSource={data.models} columns={groupColumns('model')} data-testid="usage-by-model" />
              </Card>
            </Col>
          </Row>
          <Card size="small" title={t('usage.failureCodes')} style={{ marginTop: 12 }}>
            <Table<Failure>
              size="small"
              rowKey={(f) => `${f.status}-${f.error_code}`}
              pagination={false}
              dataSource={data.page.failures}
              columns={[
                { title: t('usage.status'), dataIndex: 'status', render: (s: number) => <Tag color="red">{s}</Tag> },
                { title: t('usage.errorCode'), dataIndex: 'error_code' },
                { title: t('usage.count'), dataIndex: 'count' },
                { title: t('usage.lastTime'), dataIndex: 'last_time', render: (v: number) => formatTime(v) },
              ]}
            />
          </Card>
          <Card size="small" title={t('usage.recent')} style={{ marginTop: 12 }}>
            <Table<UsageRecord>
              size="small"
              rowKey="id"
              pagination={false}
              scroll={{ x: true }}
              dataSource={data.page.items}
              columns={[
                { title: t('audit.time'), dataIndex: 'time', render: (v: number) => formatTime(v) },
                { title: t('play.model'), dataIndex: 'model' },
                { title: t('usage.status'), dataIndex: 'status', render: (s: number) => <Tag color={s < 400 ? 'green' : 'red'}>{s}</Tag> },
                { title: t('usage.input'), dataIndex: 'prompt_tokens' },
                { title: t('usage.output'), dataIndex: 'completion_tokens' },
                { title: t('usage.latency'), dataIndex: 'latency_ms' },
              ]}
            />
          </Card>
        </>
      )}
    </div>
  );
}
