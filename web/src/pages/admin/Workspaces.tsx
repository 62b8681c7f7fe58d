// Workspaces (tenants): create, rename, delete; members of each.
import { useCallback, useEffect, useState } from 'react';
import { App, Button, Form, Input, Modal, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { api } from '../../api/client';
import type { Page, Workspace } from '../../api/types';
import { useI18n } from '../../i18n';
import { formatTime } from '../../components/format';

interface Member {
  user_id: string;
  name?: string;
  user_name?: string;
  role: string;
}

export default function AdminWorkspacesPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [data, setData] = useState<Page<Workspace> | null>(null);
  const [page, setPage] = useState(1);
  const [creating, setCreating] = useState(false);
  const [members, setMembers] = useState<{ ws: Workspace; items: Member[] } | null>(null);
  const [form] = Form.useForm<{ slug: string; name: string; description: string }>();

  const load = useCallback(() => {
    api<Page<Workspace>>('/workspaces', { query: { page, page_size: 20 } })
      .then(setData)
      .catch((e: Error) => message.error(e.message));
  }, [page, message]);
  useEffect(load, [load]);

  const create = async (v: { slug: string; name: string; description: string }) => {
    try {
      await api('/workspaces', { method: 'POST', body: { slug: v.slug, name: v.name ?? '', description: v.description ?? '' } });
      setCreating(false);
      form.resetFields();
      load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  const remove = async (w: Workspace) => {
    try {
      await api(`/workspaces/${encodeURIComponent(w.id)}`, { method: 'DELETE' });
      load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  const showMembers = async (w: Workspace) => {
    try {
      const p = await api<Page<Member>>(`/workspaces/${encodeURIComponent(w.id)}/members`, { query: { page_size: 200 } });
      setMembers({ ws: w, items: p.items });
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  return (
    <div>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={2} style={{ marginTop: 0 }}>
          {t('ws.title')}
        </Typography.Title>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
          {t('ws.create')}
        </Button>
      </Space>
      <Table<Workspace>
        rowKey="id"
        loading={!data}
        dataSource={data?.items}
        scroll={{ x: true }}
        pagination={{ current: page, total: data?.total, pageSize: 20, onChange: setPage }}
        columns={[
          { title: t('ws.slug'), dataIndex: 'slug', render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
          { title: t('ws.name'), dataIndex: 'name' },
          { title: t('ws.kind'), dataIndex: 'personal', render: (p: boolean) => <Tag>{p ? t('ws.personal') : t('ws.shared')}</Tag> },
          { title: t('keys.createdAt'), dataIndex: 'created_at', render: (v: number) => formatTime(v) },
          {
            title: t('common.actions'),
            render: (_, w) => (
              <Space size={0}>
                <Button type="link" size="small" onClick={() => void showMembers(w)}>
                  {t('ws.members')}
                </Button>
                {!w.personal && (
                  <Popconfirm title={t('ws.deleteConfirm', { name: w.slug })} onConfirm={() => void remove(w)} okText={t('common.delete')} cancelText={t('common.cancel')} okButtonProps={{ danger: true }}>
                    <Button type="link" size="small" danger>
                      {t('common.delete')}
                    </Button>
                  </Popconfirm>
                )}
              </Space>
            ),
          },
        ]}
      />
      <Modal title={t('ws.create')} open={creating} onCancel={() => setCreating(false)} onOk={() => form.submit()} okText={t('common.create')} cancelText={t('common.cancel')} forceRender>
        <Form form={form} layout="vertical" onFinish={create}>
          <Form.Item name="slug" label={t('ws.slug')} rules={[{ required: true }, { pattern: /^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$/, message: t('ws.slugRule') }]}>
            <Input />
          </Form.Item>
          <Form.Item name="name" label={t('ws.name')}>
            <Input />
          </Form.Item>
          <Form.Item name="description" label={t('ws.description')}>
            <Input.TextArea />
          </Form.Item>
        </Form>
      </Modal>
      <Modal title={t('ws.membersOf', { name: members?.ws.slug ?? '' })} open={!!members} onCancel={() => setMembers(null)} footer={null}>
        <Table<Member>
          size="small"
          rowKey="user_id"
          pagination={false}
          dataSource={members?.items}
          columns={[
            { title: t('login.name'), render: (_, m) => m.user_name ?? m.name ?? m.user_id },
            { title: t('users.role'), dataIndex: 'role' },
          ]}
        />
      </Modal>
    </div>
  );
}
