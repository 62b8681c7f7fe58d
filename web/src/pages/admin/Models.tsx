// 模型管理: every catalog model, with batch import, create, edit,
// publish/unpublish and delete.
import { useCallback, useEffect, useState } from 'react';
import { App, Button, Input, Popconfirm, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { ImportOutlined, PlusOutlined } from '@ant-design/icons';
import { api, listAll } from '../../api/client';
import type { Model, Page, Provider } from '../../api/types';
import { useI18n } from '../../i18n';
import { knownTags, tagColours } from '../../components/tags';
import { ImportModal } from './ImportModal';
import { ModelForm } from './ModelForm';

export default function AdminModelsPage() {
  const { t, local } = useI18n();
  const { message } = App.useApp();
  const [data, setData] = useState<Page<Model> | null>(null);
  const [providers, setProviders] = useState<Provider[]>([]);
  const [page, setPage] = useState(1);
  const [keyword, setKeyword] = useState('');
  const [published, setPublished] = useState<string>('');
  const [importing, setImporting] = useState(false);
  const [editing, setEditing] = useState<Model | null | undefined>(undefined);

  const load = useCallback(() => {
    api<Page<Model>>('/models', { query: { page, page_size: 20, keyword, published } })
      .then(setData)
      .catch((e: Error) => message.error(e.message));
  }, [page, keyword, published, message]);
  useEffect(load, [load]);
  useEffect(() => {
    void listAll<Provider>('/providers').then(setProviders).catch(() => setProviders([]));
  }, [data]);

  const togglePublish = async (m: Model, on: boolean) => {
    try {
      await api(`/models/${encodeURIComponent(m.id)}/${on ? 'publish' : 'unpublish'}`, { method: 'POST' });
      message.success(on ? t('models.publishedMsg', { id: m.id }) : t('models.unpublishedMsg', { id: m.id }));
      load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  const remove = async (m: Model) => {
    try {
      await api(`/models/${encodeURIComponent(m.id)}`, { method: 'DELETE' });
      load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  return (
    <div>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={2} style={{ marginTop: 0 }}>
          {t('models.title')}
        </Typography.Title>
        <Space>
          <Button icon={<ImportOutlined />} onClick={() => setImporting(true)} data-testid="open-import">
            {t('import.title')}
          </Button>
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing(null)}>
            {t('models.create')}
          </Button>
        </Space>
      </Space>
      <Space wrap style={{ marginBottom: 12 }}>
        <Input.Search aria-label={t('square.search')} placeholder={t('square.search')} allowClear onSearch={(v) => { setPage(1); setKeyword(v); }} style={{ width: 240 }} />
        <Select
          aria-label={t('models.published')}
          value={published}
          onChange={(v) => { setPage(1); setPublished(v); }}
          style={{ width: 160 }}
          options={[
            { value: '', label: t('models.all') },
            { value: 'true', label: t('models.onlyPublished') },
            { value: 'false', label: t('models.onlyUnpublished') },
          ]}
        />
      </Space>
      <Table<Model>
        rowKey="id"
        data-testid="models-table"
        loading={!data}
        dataSource={data?.items}
        scroll={{ x: true }}
        pagination={{ current: page, total: data?.total, pageSize: 20, onChange: setPage, showSizeChanger: false }}
        columns={[
          { title: t('models.id'), dataIndex: 'id' },
          { title: t('models.displayName'), dataIndex: 'display_name' },
          { title: t('square.provider'), dataIndex: 'provider_id', render: (id: string) => local(providers.find((p) => p.id === id)?.name) || id },
          { title: t('square.type'), dataIndex: 'tags', render: (tags: string[]) => tags.map((x) => <Tag key={x} color={tagColours[x]}>{knownTags[x] ? t(knownTags[x]) : x}</Tag>) },
          {
            title: t('models.published'),
            dataIndex: 'published',
            render: (v: boolean, m) => <Switch checked={v} aria-label={t('models.publishToggle', { id: m.id })} data-testid={`publish-${m.id}`} onChange={(on) => void togglePublish(m, on)} />,
          },
          {
            title: t('common.actions'),
            render: (_, m) => (
              <Space size={0}>
                <Button type="link" size="small" onClick={() => setEditing(m)}>
                  {t('common.edit')}
                </Button>
                <Popconfirm title={t('models.deleteConfirm', { id: m.id })} onConfirm={() => void remove(m)} okText={t('common.delete')} cancelText={t('common.cancel')} okButtonProps={{ danger: true }}>
                  <Button type="link" size="small" danger>
                    {t('common.delete')}
                  </Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
      <ImportModal open={importing} onClose={() => setImporting(false)} onImported={load} />
      <ModelForm model={editing ?? null} open={editing !== undefined} providers={providers} onClose={() => setEditing(undefined)} onSaved={load} />
    </div>
  );
}
