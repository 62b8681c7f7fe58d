// Runtime templates (how to start vllm, hydra-engine, ...) and deployment
// templates (how a model may be deployed), edited as JSON.
import { useCallback, useEffect, useState } from 'react';
import { App, Button, Popconfirm, Space, Table, Tabs, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { api } from '../../api/client';
import type { DeploymentTemplate, Page, RuntimeTemplate } from '../../api/types';
import { useI18n } from '../../i18n';
import { JsonEditor } from './JsonEditor';
import { formatTime } from '../../components/format';

type Kind = 'runtime-templates' | 'deployment-templates';
type Row = RuntimeTemplate | DeploymentTemplate;

const newRuntime = { name: 'my-runtime', display_name: { enUS: 'My runtime', zhCN: '我的运行时' }, command: '{{.RUN_TIME}}', args: ['--port', '{{.MODEL_PORT}}'], env: {}, images: {}, executable: '' };
const newDeployment = {
  model_id: '',
  name: 'cpu',
  resources: { cpu: 4, memory: 8, gpuType: 'cpu', gpuCount: 0, perGPUMemoryGB: 0 },
  runtime: 'hydra-engine',
  runtime_version: '',
  max_model_len: 4096,
  custom_args: [],
  env: {},
  distributed: { tp: 1, pp: 1, nodes: 1 },
};

// Fields the server sets; they are not sent back on save.
function editable(row: Row): Record<string, unknown> {
  const { id: _id, created_at: _c, updated_at: _u, name: _n, model_id: _m, ...rest } = row as Record<string, unknown>;
  void _id, _c, _u, _n, _m;
  return rest;
}

function TemplateTable({ kind }: { kind: Kind }) {
  const { t, local } = useI18n();
  const { message } = App.useApp();
  const [data, setData] = useState<Page<Row> | null>(null);
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<{ row: Row | null; value: unknown } | null>(null);
  const key = (r: Row) => (kind === 'runtime-templates' ? (r as RuntimeTemplate).name : r.id);

  const load = useCallback(() => {
    api<Page<Row>>(`/${kind}`, { query: { page, page_size: 20 } })
      .then(setData)
      .catch((e: Error) => message.error(e.message));
  }, [kind, page, message]);
  useEffect(load, [load]);

  const save = async (value: unknown) => {
    if (editing?.row) await api(`/${kind}/${encodeURIComponent(key(editing.row))}`, { method: 'PATCH', body: value });
    else await api(`/${kind}`, { method: 'POST', body: value });
    message.success(t('common.saved'));
    load();
  };

  const remove = async (r: Row) => {
    try {
      await api(`/${kind}/${encodeURIComponent(key(r))}`, { method: 'DELETE' });
      load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  const columns =
    kind === 'runtime-templates'
      ? [
          { title: t('templates.name'), dataIndex: 'name' },
          { title: t('models.displayName'), render: (_: unknown, r: Row) => local((r as { display_name?: { enUS?: string } }).display_name) },
          { title: t('templates.command'), render: (_: unknown, r: Row) => <Typography.Text code>{String((r as { command?: string }).command ?? '')}</Typography.Text> },
        ]
      : [
          { title: t('maas.model'), dataIndex: 'model_id' },
          { title: t('templates.name'), dataIndex: 'name' },
          { title: t('details.runtime'), dataIndex: 'runtime' },
          {
            title: t('templates.resources'),
            render: (_: unknown, r: Row) => {
              const res = (r as { resources?: { cpu: number; memory: number; gpuType: string; gpuCount: number } }).resources;
              return res ? `${res.cpu} CPU · ${res.memory} GB · ${res.gpuCount} × ${res.gpuType}` : '';
            },
          },
        ];

  return (
    <>
      <Button icon={<PlusOutlined />} style={{ marginBottom: 12 }} onClick={() => setEditing({ row: null, value: kind === 'runtime-templates' ? newRuntime : newDeployment })}>
        {t('common.create')}
      </Button>
      <Table<Row>
        rowKey="id"
        loading={!data}
        dataSource={data?.items}
        scroll={{ x: true }}
        pagination={{ current: page, total: data?.total, pageSize: 20, onChange: setPage }}
        columns={[
          ...columns,
          { title: t('templates.updated'), render: (_: unknown, r: Row) => formatTime((r as { updated_at?: number }).updated_at) },
          {
            title: t('common.actions'),
            render: (_: unknown, r: Row) => (
              <Space size={0}>
                <Button type="link" size="small" onClick={() => setEditing({ row: r, value: editable(r) })}>
                  {t('common.edit')}
                </Button>
                <Popconfirm title={t('templates.deleteConfirm')} onConfirm={() => void remove(r)} okText={t('common.delete')} cancelText={t('common.cancel')} okButtonProps={{ danger: true }}>
                  <Button type="link" size="small" danger>
                    {t('common.delete')}
                  </Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
      <JsonEditor title={editing?.row ? t('common.edit') : t('common.create')} value={editing?.value} open={!!editing} onClose={() => setEditing(null)} onSave={save} />
    </>
  );
}

export default function AdminTemplatesPage() {
  const { t } = useI18n();
  return (
    <div>
      <Typography.Title level={2} style={{ marginTop: 0 }}>
        {t('templates.title')}
      </Typography.Title>
      <Tabs
        items={[
          { key: 'runtime', label: t('templates.runtime'), children: <TemplateTable kind="runtime-templates" /> },
          { key: 'deployment', label: t('templates.deployment'), children: <TemplateTable kind="deployment-templates" /> },
        ]}
      />
    </div>
  );
}
