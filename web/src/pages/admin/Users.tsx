// Users: create (with a personal workspace), change role, disable, delete.
import { useCallback, useEffect, useState } from 'react';
import { App, Button, Form, Input, Modal, Popconfirm, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { api } from '../../api/client';
import type { Page, User } from '../../api/types';
import { useI18n } from '../../i18n';
import { formatTime } from '../../components/format';

interface NewUser {
  name: string;
  password: string;
  display_name?: string;
  email?: string;
  role: 'admin' | 'user';
}

export default function AdminUsersPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [data, setData] = useState<Page<User> | null>(null);
  const [page, setPage] = useState(1);
  const [creating, setCreating] = useState(false);
  const [form] = Form.useForm<NewUser>();

  const load = useCallback(() => {
    api<Page<User>>('/users', { query: { page, page_size: 20 } })
      .then(setData)
      .catch((e: Error) => message.error(e.message));
  }, [page, message]);
  useEffect(load, [load]);

  const create = async (v: NewUser) => {
    try {
      await api('/users', { method: 'POST', body: Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined && x !== '')) });
      message.success(t('users.created', { name: v.name }));
      setCreating(false);
      form.resetFields();
      load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  const patch = async (u: User, body: Record<string, unknown>) => {
    try {
      await api(`/users/${encodeURIComponent(u.id)}`, { method: 'PATCH', body });
      load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  const remove = async (u: User) => {
    try {
      await api(`/users/${encodeURIComponent(u.id)}`, { method: 'DELETE' });
      load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  return (
    <div>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={2} style={{ marginTop: 0 }}>
          {t('users.title')}
        </Typography.Title>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="create-user">
          {t('users.create')}
        </Button>
      </Space>
      <Table<User>
        rowKey="id"
        loading={!data}
        dataSource={data?.items}
        scroll={{ x: true }}
        pagination={{ current: page, total: data?.total, pageSize: 20, onChange: setPage }}
        columns={[
          { title: t('login.name'), dataIndex: 'name' },
          { title: t('users.displayName'), dataIndex: 'display_name' },
          { title: t('users.email'), dataIndex: 'email' },
          {
            title: t('users.role'),
            dataIndex: 'role',
            render: (role: string, u) => (
              <Select
                size="small"
                aria-label={t('users.role')}
                value={role}
                style={{ width: 110 }}
                onChange={(r) => void patch(u, { role: r })}
                options={[
                  { value: 'user', label: t('user.roleUser') },
                  { value: 'admin', label: t('user.roleAdmin') },
                ]}
              />
            ),
          },
          { title: t('users.enabled'), dataIndex: 'disabled', render: (d: boolean, u) => <Switch size="small" checked={!d} aria-label={t('users.enabled')} onChange={(on) => void patch(u, { disabled: !on })} /> },
          { title: t('users.lastLogin'), dataIndex: 'last_login_at', render: (v: number | null) => (v ? formatTime(v) : <Tag>{t('keys.never')}</Tag>) },
          {
            title: t('common.actions'),
            render: (_, u) => (
              <Popconfirm title={t('users.deleteConfirm', { name: u.name })} onConfirm={() => void remove(u)} okText={t('common.delete')} cancelText={t('common.cancel')} okButtonProps={{ danger: true }}>
                <Button type="link" size="small" danger>
                  {t('common.delete')}
                </Button>
              </Popconfirm>
            ),
          },
        ]}
      />
      <Modal title={t('users.create')} open={creating} onCancel={() => setCreating(false)} onOk={() => form.submit()} okText={t('common.create')} cancelText={t('common.cancel')} forceRender>
        <Form form={form} layout="vertical" onFinish={create} initialValues={{ role: 'user' }}>
          <Form.Item name="name" label={t('login.name')} rules={[{ required: true }, { pattern: /^[a-z0-9][a-z0-9._-]{1,63}$/, message: t('users.nameRule') }]}>
            <Input data-testid="user-name" autoComplete="off" />
          </Form.Item>
          <Form.Item name="password" label={t('login.password')} rules={[{ required: true }, { min: 8, message: t('users.passwordRule') }]}>
            <Input.Password data-testid="user-password" autoComplete="new-password" />
          </Form.Item>
          <Form.Item name="display_name" label={t('users.displayName')}>
            <Input />
          </Form.Item>
          <Form.Item name="email" label={t('users.email')}>
            <Input type="email" />
          </Form.Item>
          <Form.Item name="role" label={t('users.role')}>
            <Select
              options={[
                { value: 'user', label: t('user.roleUser') },
                { value: 'admin', label: t('user.roleAdmin') },
              ]}
            />
          </Form.Item>
        </Form>
      </Modal>
    </div>
  );
}
