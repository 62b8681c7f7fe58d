// Model providers (the vendor behind a model: names in both languages and
// an icon), which the model square filters by.
import { useCallback, useEffect, useState } from 'react';
import { App, Button, Form, Input, Modal, Popconfirm, Space, Table, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { api } from '../../api/client';
import type { Page, Provider } from '../../api/types';
import { useI18n } from '../../i18n';
import { ProviderIcon } from '../../components/ProviderIcon';

interface ProviderForm {
  id: string;
  nameEn: string;
  nameZh: string;
  icon: string;
}

const idRule = /^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$/;

export default function AdminProvidersPage() {
  const { t, local } = useI18n();
  const { message } = App.useApp();
  const [data, setData] = useState<Page<Provider> | null>(null);
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<Provider | 'new' | null>(null);
  const [form] = Form.useForm<ProviderForm>();

  const load = useCallback(() => {
    api<Page<Provider>>('/providers', { query: { page, page_size: 20 } })
      .then(setData)
      .catch((e: Error) => message.error(e.message));
  }, [page, message]);
  useEffect(load, [load]);

  const open = (p: Provider | 'new') => {
    setEditing(p);
    form.setFieldsValue(p === 'new' ? { id: '', nameEn: '', nameZh: '', icon: '' } : { id: p.id, nameEn: p.name.enUS ?? '', nameZh: p.name.zhCN ?? '', icon: p.icon });
  };

  const save = async (v: ProviderForm) => {
    const body = { name: { enUS: v.nameEn, zhCN: v.nameZh }, icon: v.icon ?? '' };
    try {
      if (editing === 'new') await api('/providers', { method: 'POST', body: { id: v.id, ...body } });
      else if (editing) await api(`/providers/${encodeURIComponent(editing.id)}`, { method: 'PATCH', body });
      message.success(t('common.saved'));
      setEditing(null);
      load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  const remove = async (p: Provider) => {
    try {
      await api(`/providers/${encodeURIComponent(p.id)}`, { method: 'DELETE' });
      load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  return (
    <div>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={2} style={{ marginTop: 0 }}>
          {t('providers.title')}
        </Typography.Title>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => open('new')} data-testid="create-provider">
          {t('providers.create')}
        </Button>
      </Space>
      <Table<Provider>
        rowKey="id"
        loading={!data}
        dataSource={data?.items}
        scroll={{ x: true }}
        data-testid="providers-table"
        pagination={{ current: page, total: data?.total, pageSize: 20, onChange: setPage }}
        columns={[
          { title: t('providers.icon'), render: (_: unknown, p) => <ProviderIcon src={p.icon} name={local(p.name) || p.id} size={28} /> },
          { title: t('providers.id'), dataIndex: 'id' },
          { title: t('providers.nameEn'), render: (_: unknown, p) => p.name.enUS ?? '' },
          { title: t('providers.nameZh'), render: (_: unknown, p) => p.name.zhCN ?? '' },
          {
            title: t('common.actions'),
            render: (_: unknown, p) => (
              <Space size={0}>
                <Button type="link" size="small" onClick={() => open(p)}>
                  {t('common.edit')}
                </Button>
                <Popconfirm title={t('providers.deleteConfirm', { id: p.id })} onConfirm={() => void remove(p)} okText={t('common.delete')} cancelText={t('common.cancel')} okButtonProps={{ danger: true }}>
                  <Button type="link" size="small" danger>
                    {t('common.delete')}
                  </Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
      <Modal title={editing === 'new' ? t('providers.create') : t('common.edit')} open={!!editing} onCancel={() => setEditing(null)} onOk={() => form.submit()} okText={t('common.save')} cancelText={t('common.cancel')} forceRender>
        <Form form={form} layout="vertical" onFinish={(v) => void save(v)}>
          <Form.Item name="id" label={t('providers.id')} extra={t('providers.idRule')} rules={[{ required: true, pattern: idRule, message: t('providers.idRule') }]}>
            <Input disabled={editing !== 'new'} data-testid="provider-id" />
          </Form.Item>
          <Form.Item name="nameEn" label={t('providers.nameEn')}>
            <Input />
          </Form.Item>
          <Form.Item name="nameZh" label={t('providers.nameZh')}>
            <Input />
          </Form.Item>
          <Form.Item name="icon" label={t('providers.icon')} extra={t('providers.iconHelp')} rules={[{ max: 4096 }]}>
            <Input />
          </Form.Item>
        </Form>
      </Modal>
    </div>
  );
}
