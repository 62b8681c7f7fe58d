// MaaS models: routes from public/<id> to upstream endpoints, with weights,
// balancing policy, rate limits and the enable switch.
import { useCallback, useEffect, useState } from 'react';
import { App, Button, Form, Input, InputNumber, Modal, Popconfirm, Select, Space, Switch, Table, Typography } from 'antd';
import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { api, listAll } from '../../api/client';
import type { MaasModel, Model, Page } from '../../api/types';
import { useI18n } from '../../i18n';

interface FormValues {
  id: string;
  display_name: string;
  model_id: string;
  lb_policy: string;
  enabled: boolean;
  endpoints: { base_url: string; model: string; weight: number; api_key?: string }[];
  rate_limits: { metric: string; limit: number; window_seconds: number }[];
}

export default function AdminMaasPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [data, setData] = useState<Page<MaasModel> | null>(null);
  const [models, setModels] = useState<Model[]>([]);
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<MaasModel | null | undefined>(undefined);
  const [form] = Form.useForm<FormValues>();

  const load = useCallback(() => {
    api<Page<MaasModel>>('/maas-models', { query: { page, page_size: 20 } })
      .then(setData)
      .catch((e: Error) => message.error(e.message));
  }, [page, message]);
  useEffect(load, [load]);
  useEffect(() => {
    void listAll<Model>('/models').then(setModels).catch(() => setModels([]));
  }, []);

  const open = (m: MaasModel | null) => {
    setEditing(m);
    form.setFieldsValue(
      m
        ? {
            id: m.id,
            display_name: m.display_name,
            model_id: m.model_id,
            lb_policy: m.lb_policy ?? 'round_robin',
            enabled: m.enabled,
            endpoints: (m.endpoints ?? []).map((e) => ({ base_url: e.base_url, model: e.model, weight: e.weight })),
            rate_limits: m.rate_limits.map((r) => ({ metric: String(r.metric), limit: Number(r.limit), window_seconds: Number(r.window_seconds ?? 60) })),
          }
        : { id: '', display_name: '', model_id: '', lb_policy: 'round_robin', enabled: true, endpoints: [{ base_url: '', model: '', weight: 0 }], rate_limits: [] },
    );
  };

  const save = async (v: FormValues) => {
    const endpoints = v.endpoints.map((e) => ({ base_url: e.base_url, model: e.model, weight: e.weight ?? 0, ...(e.api_key ? { api_key: e.api_key } : {}) }));
    const body = { display_name: v.display_name ?? '', model_id: v.model_id ?? '', lb_policy: v.lb_policy, endpoints, rate_limits: v.rate_limits ?? [], enabled: v.enabled };
    try {
      if (editing) await api(`/maas-models/${encodeURIComponent(editing.id)}`, { method: 'PATCH', body });
      else await api('/maas-models', { method: 'POST', body: { id: v.id, ...body } });
      message.success(t('common.saved'));
      setEditing(undefined);
      load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  const toggle = async (m: MaasModel, on: boolean) => {
    try {
      await api(`/maas-models/${encodeURIComponent(m.id)}/${on ? 'enable' : 'disable'}`, { method: 'POST' });
      load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  const remove = async (m: MaasModel) => {
    try {
      await api(`/maas-models/${encodeURIComponent(m.id)}`, { method: 'DELETE' });
      load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  return (
    <div>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={2} style={{ marginTop: 0 }}>
          {t('maas.title')}
        </Typography.Title>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => open(null)} data-testid="create-maas">
          {t('maas.create')}
        </Button>
      </Space>
      <Table<MaasModel>
        rowKey="id"
        loading={!data}
        dataSource={data?.items}
        scroll={{ x: true }}
        pagination={{ current: page, total: data?.total, pageSize: 20, onChange: setPage }}
        columns={[
          { title: t('maas.access'), dataIndex: 'access_name', render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
          { title: t('models.displayName'), dataIndex: 'display_name' },
          { title: t('maas.model'), dataIndex: 'model_id' },
          { title: t('maas.policy'), dataIndex: 'lb_policy', render: (v: string) => (v ? t(`maas.policy.${v as 'round_robin'}`) : '') },
          { title: t('maas.endpoints'), render: (_, m) => (m.endpoints ?? []).map((e) => `${e.base_url} → ${e.model}${m.lb_policy === 'weighted' ? ` (${e.weight})` : ''}`).join(', ') },
          { title: t('maas.enabled'), dataIndex: 'enabled', render: (v: boolean, m) => <Switch checked={v} aria-label={t('maas.enableToggle', { id: m.id })} onChange={(on) => void toggle(m, on)} /> },
          {
            title: t('common.actions'),
            render: (_, m) => (
              <Space size={0}>
                <Button type="link" size="small" onClick={() => open(m)}>
                  {t('common.edit')}
                </Button>
                <Popconfirm title={t('maas.deleteConfirm', { id: m.id })} onConfirm={() => void remove(m)} okText={t('common.delete')} cancelText={t('common.cancel')} okButtonProps={{ danger: true }}>
                  <Button type="link" size="small" danger>
                    {t('common.delete')}
                  </Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
      <Modal title={editing ? t('maas.edit') : t('maas.create')} open={editing !== undefined} onCancel={() => setEditing(undefined)} onOk={() => form.submit()} okText={t('common.save')} cancelText={t('common.cancel')} width={760} forceRender>
        <Form form={form} layout="vertical" onFinish={save}>
          <Space wrap>
            <Form.Item name="id" label={t('maas.id')} rules={[{ required: true }, { pattern: /^[a-z0-9]([a-z0-9._-]{0,126}[a-z0-9])?$/, message: t('models.idRule') }]}>
              <Input disabled={!!editing} data-testid="maas-id" />
            </Form.Item>
            <Form.Item name="display_name" label={t('models.displayName')}>
              <Input />
            </Form.Item>
            <Form.Item name="model_id" label={t('maas.model')}>
              <Select allowClear showSearch style={{ width: 220 }} data-testid="maas-model" options={models.map((m) => ({ value: m.id, label: m.id }))} />
            </Form.Item>
            <Form.Item name="lb_policy" label={t('maas.policy')}>
              <Select
                style={{ width: 180 }}
                options={(['round_robin', 'random', 'weighted', 'least_outstanding'] as const).map((p) => ({ value: p, label: t(`maas.policy.${p}`) }))}
              />
            </Form.Item>
            <Form.Item name="enabled" label={t('maas.enabled')} valuePropName="checked">
              <Switch />
            </Form.Item>
          </Space>
          <Typography.Text strong>{t('maas.endpoints')}</Typography.Text>
          <Form.List name="endpoints">
            {(fields, { add, remove }) => (
              <>
                {fields.map((f) => (
                  <Space key={f.key} align="baseline" wrap>
                    <Form.Item name={[f.name, 'base_url']} rules={[{ required: true }]}>
                      <Input placeholder={t('maas.baseUrl')} aria-label={t('maas.baseUrl')} style={{ width: 240 }} data-testid="maas-base-url" />
                    </Form.Item>
                    <Form.Item name={[f.name, 'model']} rules={[{ required: true }]}>
                      <Input placeholder={t('maas.upstreamModel')} aria-label={t('maas.upstreamModel')} style={{ width: 160 }} data-testid="maas-upstream-model" />
                    </Form.Item>
                    <Form.Item name={[f.name, 'weight']}>
                      <InputNumber min={0} max={100} placeholder={t('maas.weight')} aria-label={t('maas.weight')} />
                    </Form.Item>
                    <Form.Item name={[f.name, 'api_key']}>
                      <Input.Password placeholder={t('maas.upstreamKey')} aria-label={t('maas.upstreamKey')} style={{ width: 160 }} />
                    </Form.Item>
                    <MinusCircleOutlined aria-label={t('common.delete')} onClick={() => remove(f.name)} />
                  </Space>
                ))}
                <Button type="dashed" onClick={() => add({ base_url: '', model: '', weight: 0 })} icon={<PlusOutlined />} block style={{ marginBottom: 12 }}>
                  {t('maas.addEndpoint')}
                </Button>
              </>
            )}
          </Form.List>
          <Typography.Text strong>{t('maas.rateLimits')}</Typography.Text>
          <Form.List name="rate_limits">
            {(fields, { add, remove }) => (
              <>
                {fields.map((f) => (
                  <Space key={f.key} align="baseline" wrap>
                    <Form.Item name={[f.name, 'metric']} rules={[{ required: true }]}>
                      <Select aria-label={t('maas.metric')} style={{ width: 140 }} options={['requests', 'tokens', 'images', 'concurrency'].map((m) => ({ value: m, label: t(`maas.metric.${m as 'requests'}`) }))} />
                    </Form.Item>
                    <Form.Item name={[f.name, 'limit']} rules={[{ required: true }]}>
                      <InputNumber min={1} placeholder={t('maas.limit')} aria-label={t('maas.limit')} />
                    </Form.Item>
                    <Form.Item name={[f.name, 'window_seconds']}>
                      <InputNumber min={1} placeholder={t('maas.window')} aria-label={t('maas.window')} addonAfter="s" />
                    </Form.Item>
                    <MinusCircleOutlined aria-label={t('common.delete')} onClick={() => remove(f.name)} />
                  </Space>
                ))}
                <Button type="dashed" onClick={() => add({ metric: 'requests', limit: 60, window_seconds: 60 })} icon={<PlusOutlined />} block>
                  {t('maas.addLimit')}
                </Button>
              </>
            )}
          </Form.List>
        </Form>
      </Modal>
    </div>
  );
}
