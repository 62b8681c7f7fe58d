// API keys of the current workspace: create (the key shown once), masked
// list with creation and last use, delete with confirmation.
import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Form, Input, Modal, Popconfirm, Space, Table, Typography } from 'antd';
import { CopyOutlined, PlusOutlined } from '@ant-design/icons';
import { api } from '../api/client';
import type { ApiKey, ApiKeyCreated, Page } from '../api/types';
import { useI18n } from '../i18n';
import { useSession } from '../session/session';
import { forgetKey, rememberKey } from '../chat/keys';
import { formatTime } from '../components/format';

export default function ApiKeysPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const { workspaceId } = useSession();
  const [data, setData] = useState<Page<ApiKey> | null>(null);
  const [page, setPage] = useState(1);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [error, setError] = useState('');
  const [form] = Form.useForm<{ name: string }>();

  const load = useCallback(() => {
    api<Page<ApiKey>>('/api-keys', { query: { page, page_size: 20 } })
      .then(setData)
      .catch((e: Error) => setError(e.message));
  }, [page]);
  useEffect(load, [load, workspaceId]);

  const create = async ({ name }: { name: string }) => {
    try {
      const k = await api<ApiKeyCreated>('/api-keys', { method: 'POST', body: { name } });
      rememberKey({ id: k.id, name: k.name, masked: k.masked, key: k.key, workspace: workspaceId });
      setCreating(false);
      form.resetFields();
      setCreated(k);
      load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  const remove = async (k: ApiKey) => {
    try {
      await api(`/api-keys/${encodeURIComponent(k.id)}`, { method: 'DELETE' });
      forgetKey(k.id);
      message.success(t('keys.deleted'));
      load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  const copy = async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      message.success(t('common.copied'));
    } catch {
      message.error(t('common.copyFailed'));
    }
  };

  return (
    <div>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={2} style={{ marginTop: 0 }}>
          {t('keys.title')}
        </Typography.Title>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="create-key">
          {t('keys.create')}
        </Button>
      </Space>
      <Typography.Paragraph type="secondary">{t('keys.intro', { base: `${window.location.origin}/v1` })}</Typography.Paragraph>
      {error && <Alert type="error" showIcon message={error} />}
      <Table<ApiKey>
        rowKey="id"
        data-testid="keys-table"
        loading={!data && !error}
        dataSource={data?.items}
        scroll={{ x: true }}
        pagination={{ current: page, total: data?.total, pageSize: 20, onChange: setPage }}
        columns={[
          { title: t('keys.name'), dataIndex: 'name' },
          { title: t('keys.key'), dataIndex: 'masked', render: (v: string) => <Typography.Text code data-testid="masked-key">{v}</Typography.Text> },
          { title: t('keys.createdAt'), dataIndex: 'created_at', render: (v: number) => formatTime(v) },
          { title: t('keys.lastUsed'), dataIndex: 'last_used_at', render: (v: number | null) => (v ? formatTime(v) : t('keys.never')) },
          {
            title: t('common.actions'),
            render: (_, k) => (
              <Popconfirm title={t('keys.deleteConfirm', { name: k.name || k.masked })} onConfirm={() => void remove(k)} okText={t('common.delete')} cancelText={t('common.cancel')} okButtonProps={{ danger: true }}>
                <Button type="link" danger size="small">
                  {t('common.delete')}
                </Button>
              </Popconfirm>
            ),
          },
        ]}
      />
      <Modal title={t('keys.create')} open={creating} onCancel={() => setCreating(false)} onOk={() => form.submit()} okText={t('common.create')} cancelText={t('common.cancel')} destroyOnClose>
        <Form form={form} layout="vertical" onFinish={create}>
          <Form.Item name="name" label={t('keys.name')} rules={[{ required: true, message: t('keys.nameRequired') }, { max: 64 }]}>
            <Input data-testid="key-name" autoFocus />
          </Form.Item>
        </Form>
      </Modal>
      <Modal
        title={t('keys.createdTitle')}
        open={!!created}
        closable={false}
        maskClosable={false}
        footer={
          <Button type="primary" onClick={() => setCreated(null)} data-testid="key-done">
            {t('keys.saved')}
          </Button>
        }
      >
        <Alert type="warning" showIcon message={t('keys.onceWarning')} style={{ marginBottom: 12 }} />
        <Space.Compact style={{ width: '100%' }}>
          <Input readOnly value={created?.key} data-testid="new-key" aria-label={t('keys.key')} />
          <Button icon={<CopyOutlined />} onClick={() => created && void copy(created.key)}>
            {t('common.copy')}
          </Button>
        </Space.Compact>
      </Modal>
    </div>
  );
}
