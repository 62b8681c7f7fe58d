// Moderation rules: keyword or RE2 regex deny lists on what goes into a
// model (refused with 600003) and what comes out (600004), for every
// workspace or one.
import { useCallback, useEffect, useState } from 'react';
import { App, Button, Form, Input, Modal, Popconfirm, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { api, listAll } from '../../api/client';
import type { ModerationRule, Page, Workspace } from '../../api/types';
import { useI18n } from '../../i18n';
import { formatTime } from '../../components/format';

type RuleForm = Pick<ModerationRule, 'kind' | 'pattern' | 'direction' | 'workspace_id' | 'description' | 'enabled'>;

const blank: RuleForm = { kind: 'keyword', pattern: '', direction: 'both', workspace_id: '', description: '', enabled: true };

export default function AdminModerationPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [data, setData] = useState<Page<ModerationRule> | null>(null);
  const [page, setPage] = useState(1);
  const [workspaces, setWorkspaces] = useState<Workspace[]>([]);
  const [editing, setEditing] = useState<ModerationRule | 'new' | null>(null);
  const [form] = Form.useForm<RuleForm>();

  const load = useCallback(() => {
    api<Page<ModerationRule>>('/moderation-rules', { query: { page, page_size: 20 } })
      .then(setData)
      .catch((e: Error) => message.error(e.message));
  }, [page, message]);
  useEffect(load, [load]);
  useEffect(() => {
    listAll<Workspace>('/workspaces').then(setWorkspaces).catch(() => setWorkspaces([]));
  }, []);

  const wsName = (id: string) => (id ? (workspaces.find((w) => w.id === id)?.slug ?? id) : t('moderation.global'));

  const open = (r: ModerationRule | 'new') => {
    setEditing(r);
    form.setFieldsValue(r === 'new' ? blank : r);
  };

  const save = async (v: RuleForm) => {
    try {
      if (editing === 'new') await api('/moderation-rules', { method: 'POST', body: v });
      else if (editing) await api(`/moderation-rules/${encodeURIComponent(editing.id)}`, { method: 'PATCH', body: { pattern: v.pattern, direction: v.direction, description: v.description, enabled: v.enabled } });
      message.success(t('common.saved'));
      setEditing(null);
      load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  const patch = async (r: ModerationRule, body: Partial<RuleForm>) => {
    try {
      await api(`/moderation-rules/${encodeURIComponent(r.id)}`, { method: 'PATCH', body });
      load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  const remove = async (r: ModerationRule) => {
    try {
      await api(`/moderation-rules/${encodeURIComponent(r.id)}`, { method: 'DELETE' });
      load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  return (
    <div>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={2} style={{ marginTop: 0 }}>
          {t('moderation.title')}
        </Typography.Title>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => open('new')} data-testid="create-rule">
          {t('moderation.create')}
        </Button>
      </Space>
      <Typography.Paragraph type="secondary">{t('moderation.intro')}</Typography.Paragraph>
      <Table<ModerationRule>
        rowKey="id"
        loading={!data}
        dataSource={data?.items}
        scroll={{ x: true }}
        data-testid="rules-table"
        pagination={{ current: page, total: data?.total, pageSize: 20, onChange: setPage }}
        columns={[
          { title: t('moderation.pattern'), dataIndex: 'pattern', render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
          { title: t('moderation.kind'), dataIndex: 'kind', render: (v: RuleForm['kind']) => <Tag>{t(`moderation.kind.${v}`)}</Tag> },
          { title: t('moderation.direction'), dataIndex: 'direction', render: (v: RuleForm['direction']) => t(`moderation.direction.${v}`) },
          { title: t('moderation.workspace'), dataIndex: 'workspace_id', render: wsName },
          { title: t('ws.description'), dataIndex: 'description' },
          {
            title: t('maas.enabled'),
            dataIndex: 'enabled',
            render: (v: boolean, r) => <Switch checked={v} size="small" aria-label={t('moderation.enableToggle', { pattern: r.pattern })} onChange={(on) => void patch(r, { enabled: on })} />,
          },
          { title: t('templates.updated'), dataIndex: 'updated_at', render: (v: number) => formatTime(v) },
          {
            title: t('common.actions'),
            render: (_: unknown, r) => (
              <Space size={0}>
                <Button type="link" size="small" onClick={() => open(r)}>
                  {t('common.edit')}
                </Button>
                <Popconfirm title={t('moderation.deleteConfirm')} onConfirm={() => void remove(r)} okText={t('common.delete')} cancelText={t('common.cancel')} okButtonProps={{ danger: true }}>
                  <Button type="link" size="small" danger>
                    {t('common.delete')}
                  </Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
      <Modal title={editing === 'new' ? t('moderation.create') : t('common.edit')} open={!!editing} onCancel={() => setEditing(null)} onOk={() => form.submit()} okText={t('common.save')} cancelText={t('common.cancel')} forceRender>
        <Form form={form} layout="vertical" onFinish={(v) => void save(v)}>
          <Form.Item name="kind" label={t('moderation.kind')}>
            <Select disabled={editing !== 'new'} options={(['keyword', 'regex'] as const).map((k) => ({ value: k, label: t(`moderation.kind.${k}`) }))} />
          </Form.Item>
          <Form.Item name="pattern" label={t('moderation.pattern')} rules={[{ required: true, message: t('moderation.patternRequired') }, { max: 1024 }]}>
            <Input data-testid="rule-pattern" />
          </Form.Item>
          <Form.Item name="direction" label={t('moderation.direction')}>
            <Select options={(['input', 'output', 'both'] as const).map((d) => ({ value: d, label: t(`moderation.direction.${d}`) }))} />
          </Form.Item>
          <Form.Item name="workspace_id" label={t('moderation.workspace')}>
            <Select disabled={editing !== 'new'} options={[{ value: '', label: t('moderation.global') }, ...workspaces.map((w) => ({ value: w.id, label: `${w.name} (${w.slug})` }))]} />
          </Form.Item>
          <Form.Item name="description" label={t('ws.description')} rules={[{ max: 512 }]}>
            <Input />
          </Form.Item>
          <Form.Item name="enabled" label={t('maas.enabled')} valuePropName="checked">
            <Switch />
          </Form.Item>
        </Form>
      </Modal>
    </div>
  );
}
