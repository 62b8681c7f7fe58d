// A paged table of one REST resource with create, edit (as JSON) and
// delete; for resources with many fields whose strict server-side decoder
// explains any mistake (templates, rate-limit rules, quotas).
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { App, Button, Popconfirm, Space, Table } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { api } from '../../api/client';
import type { Page } from '../../api/types';
import { useI18n } from '../../i18n';
import { JsonEditor } from './JsonEditor';
import { formatTime } from '../../components/format';

export type Row = Record<string, unknown> & { id: string };

export interface Column {
  title: string;
  render: (r: Row) => ReactNode;
}

interface Props {
  path: string; // e.g. "/limits"
  columns: Column[];
  template: Record<string, unknown>; // what "create" starts from
  idOf?: (r: Row) => string; // the id in the resource's URL
  readOnly?: string[]; // fields the server sets or that never change
}

const serverFields = ['id', 'created_at', 'updated_at'];

export function ResourceTable({ path, columns, template, idOf = (r) => r.id, readOnly = [] }: Props) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [data, setData] = useState<Page<Row> | null>(null);
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<{ row: Row | null; value: unknown } | null>(null);

  const load = useCallback(() => {
    api<Page<Row>>(path, { query: { page, page_size: 20 } })
      .then(setData)
      .catch((e: Error) => message.error(e.message));
  }, [path, page, message]);
  useEffect(load, [load]);

  const editable = (r: Row) => Object.fromEntries(Object.entries(r).filter(([k]) => !serverFields.includes(k) && !readOnly.includes(k)));

  const save = async (value: unknown) => {
    if (editing?.row) await api(`${path}/${encodeURIComponent(idOf(editing.row))}`, { method: 'PATCH', body: value });
    else await api(path, { method: 'POST', body: value });
    message.success(t('common.saved'));
    load();
  };

  const remove = async (r: Row) => {
    try {
      await api(`${path}/${encodeURIComponent(idOf(r))}`, { method: 'DELETE' });
      load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  return (
    <>
      <Button icon={<PlusOutlined />} style={{ marginBottom: 12 }} onClick={() => setEditing({ row: null, value: template })}>
        {t('common.create')}
      </Button>
      <Table<Row>
        rowKey="id"
        loading={!data}
        dataSource={data?.items}
        scroll={{ x: true }}
        pagination={{ current: page, total: data?.total, pageSize: 20, onChange: setPage }}
        columns={[
          ...columns.map((c) => ({ title: c.title, render: (_: unknown, r: Row) => c.render(r) })),
          { title: t('templates.updated'), render: (_: unknown, r: Row) => formatTime(r.updated_at as number) },
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
