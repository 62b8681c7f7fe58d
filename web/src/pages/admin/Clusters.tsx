// Clusters: where deployments run, with their agent's state, last
// heartbeat, capacity and how many replicas each holds.
import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Form, Input, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { api, listAll } from '../../api/client';
import type { Deployment, Page } from '../../api/types';
import { useI18n } from '../../i18n';
import { formatTime } from '../../components/format';

interface Cluster {
  id: string;
  name: string;
  region?: string;
  backend?: string;
  gateway_url?: string;
  description?: string;
  state?: string;
  last_heartbeat_at?: number;
  capacity?: { cpu?: number; memory?: number; gpus?: { name?: string; memory_gb?: number }[] };
}

interface NewCluster {
  name: string;
  region: string;
  backend: string;
  gateway_url: string;
  description: string;
}

const stateColours: Record<string, string> = { reachable: 'success', unreachable: 'error', pending: 'default' };

export default function AdminClustersPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [data, setData] = useState<Page<Cluster> | null>(null);
  const [replicas, setReplicas] = useState<Record<string, number>>({});
  const [creating, setCreating] = useState(false);
  const [token, setToken] = useState('');
  const [form] = Form.useForm<NewCluster>();

  const load = useCallback(() => {
    api<Page<Cluster>>('/clusters', { query: { page: 1, page_size: 100 } })
      .then(setData)
      .catch((e: Error) => message.error(e.message));
    listAll<Deployment>('/deployments', { all: true })
      .then((ds) => {
        const n: Record<string, number> = {};
        for (const d of ds) n[d.cluster] = (n[d.cluster] ?? 0) + d.ready_replicas;
        setReplicas(n);
      })
      .catch(() => setReplicas({}));
  }, [message]);
  useEffect(load, [load]);

  const create = async (v: NewCluster) => {
    try {
      const made = await api<Cluster & { token?: string; join_token?: string }>('/clusters', { method: 'POST', body: Object.fromEntries(Object.entries(v).filter(([, x]) => x)) });
      setCreating(false);
      form.resetFields();
      setToken(made.token ?? made.join_token ?? '');
      load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  return (
    <div>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={2} style={{ marginTop: 0 }}>
          {t('clusters.title')}
        </Typography.Title>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
          {t('clusters.create')}
        </Button>
      </Space>
      {token && <Alert type="warning" showIcon closable onClose={() => setToken('')} message={t('clusters.tokenOnce')} description={<Typography.Text code copyable>{token}</Typography.Text>} style={{ marginBottom: 12 }} />}
      <Table<Cluster>
        rowKey="id"
        loading={!data}
        dataSource={data?.items}
        scroll={{ x: true }}
        data-testid="clusters-table"
        pagination={false}
        columns={[
          { title: t('templates.name'), dataIndex: 'name' },
          { title: t('clusters.region'), dataIndex: 'region', render: (v?: string) => v || '—' },
          { title: t('clusters.backend'), dataIndex: 'backend' },
          { title: t('deploy.state'), dataIndex: 'state', render: (v?: string) => <Tag color={stateColours[v ?? ''] ?? 'default'}>{v ? t(`clusters.state.${v}` as 'clusters.state.pending') : '—'}</Tag> },
          { title: t('clusters.heartbeat'), dataIndex: 'last_heartbeat_at', render: (v?: number) => formatTime(v) },
          {
            title: t('clusters.capacity'),
            render: (_: unknown, c) => {
              const cap = c.capacity ?? {};
              const gpus = cap.gpus?.length ? ` · ${cap.gpus.length} GPU` : '';
              return t('deploy.resourcesValue', { cpu: cap.cpu ?? 0, memory: Math.round(cap.memory ?? 0) }) + gpus;
            },
          },
          { title: t('clusters.replicas'), render: (_: unknown, c) => replicas[c.name] ?? 0 },
          { title: t('clusters.gateway'), dataIndex: 'gateway_url', render: (v?: string) => v || '—' },
        ]}
      />
      <Modal title={t('clusters.create')} open={creating} onCancel={() => setCreating(false)} onOk={() => form.submit()} okText={t('common.create')} cancelText={t('common.cancel')} forceRender>
        <Form form={form} layout="vertical" onFinish={(v) => void create(v)} initialValues={{ backend: 'local' }}>
          <Form.Item name="name" label={t('templates.name')} rules={[{ required: true, pattern: /^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])$/, message: t('ws.slugRule') }]}>
            <Input />
          </Form.Item>
          <Form.Item name="region" label={t('clusters.region')}>
            <Input />
          </Form.Item>
          <Form.Item name="backend" label={t('clusters.backend')}>
            <Select options={['local', 'kubernetes'].map((b) => ({ value: b, label: b }))} />
          </Form.Item>
          <Form.Item name="gateway_url" label={t('clusters.gateway')}>
            <Input placeholder="https://" />
          </Form.Item>
          <Form.Item name="description" label={t('ws.description')}>
            <Input />
          </Form.Item>
        </Form>
      </Modal>
    </div>
  );
}
