// 审计日志: events newest first, filtered by actor, action, resource and
// time; the same filters export CSV.
import { useCallback, useEffect, useState } from 'react';
import { App, Button, DatePicker, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { DownloadOutlined } from '@ant-design/icons';
import type { Dayjs } from 'dayjs';
import { api, apiFetch, download } from '../../api/client';
import type { AuditEvent, Page } from '../../api/types';
import { useI18n } from '../../i18n';
import { formatTime } from '../../components/format';

const actions = [
  'Login', 'Logout', 'CreateUser', 'UpdateUser', 'DeleteUser', 'CreateWorkspace', 'UpdateWorkspace', 'DeleteWorkspace',
  'AddWorkspaceMember', 'RemoveWorkspaceMember', 'CreateWSAPIKey', 'DeleteWSAPIKey', 'CreateModelProvider', 'UpdateModelProvider',
  'DeleteModelProvider', 'CreateModel', 'UpdateModel', 'DeleteModel', 'ImportModel', 'PublishModel', 'UnPublishModel',
  'CreateMAASModel', 'UpdateMAASModel', 'DeleteMAASModel', 'EnabledMAASModel', 'CreateRuntimeTemplate', 'UpdateRuntimeTemplate',
  'DeleteRuntimeTemplate', 'AddDeployTemplates', 'UpdateDeployTemplates', 'DeleteDeployTemplates',
];

interface Filters {
  actor: string;
  action: string;
  resource_type: string;
  since?: number;
  until?: number;
}

export default function AdminAuditPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [data, setData] = useState<Page<AuditEvent> | null>(null);
  const [page, setPage] = useState(1);
  const [filters, setFilters] = useState<Filters>({ actor: '', action: '', resource_type: '' });
  const [actor, setActor] = useState('');

  const query = useCallback(() => ({ ...filters, since: filters.since, until: filters.until }), [filters]);

  const load = useCallback(() => {
    api<Page<AuditEvent>>('/audit-events', { query: { ...query(), page, page_size: 20 } })
      .then(setData)
      .catch((e: Error) => message.error(e.message));
  }, [query, page, message]);
  useEffect(load, [load]);

  const set = (patch: Partial<Filters>) => {
    setPage(1);
    setFilters((f) => ({ ...f, ...patch }));
  };

  const exportCsv = async () => {
    try {
      const resp = await apiFetch('/audit-events/export', { query: query() });
      await download(resp, 'audit-events.csv');
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  return (
    <div>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={2} style={{ marginTop: 0 }}>
          {t('audit.title')}
        </Typography.Title>
        <Button icon={<DownloadOutlined />} onClick={() => void exportCsv()} data-testid="audit-export">
          {t('audit.export')}
        </Button>
      </Space>
      <Space wrap style={{ marginBottom: 12 }}>
        <Input.Search aria-label={t('audit.actor')} placeholder={t('audit.actor')} allowClear value={actor} onChange={(e) => setActor(e.target.value)} onSearch={(v) => set({ actor: v })} style={{ width: 180 }} data-testid="audit-actor" />
        <Select aria-label={t('audit.action')} placeholder={t('audit.action')} allowClear showSearch value={filters.action || undefined} onChange={(v) => set({ action: v ?? '' })} style={{ width: 220 }} options={actions.map((a) => ({ value: a, label: a }))} data-testid="audit-action" />
        <Select
          aria-label={t('audit.resource')}
          placeholder={t('audit.resource')}
          allowClear
          value={filters.resource_type || undefined}
          onChange={(v) => set({ resource_type: v ?? '' })}
          style={{ width: 180 }}
          options={['user', 'workspace', 'api_key', 'provider', 'model', 'maas_model', 'runtime_template', 'deployment_template', 'session'].map((r) => ({ value: r, label: r }))}
        />
        <DatePicker.RangePicker
          showTime
          aria-label={t('audit.period')}
          onChange={(range: [Dayjs | null, Dayjs | null] | null) => set({ since: range?.[0]?.valueOf(), until: range?.[1]?.valueOf() })}
        />
      </Space>
      <Table<AuditEvent>
        rowKey="id"
        size="small"
        data-testid="audit-table"
        loading={!data}
        dataSource={data?.items}
        scroll={{ x: true }}
        pagination={{ current: page, total: data?.total, pageSize: 20, onChange: setPage, showSizeChanger: false }}
        columns={[
          { title: t('audit.time'), dataIndex: 'time', render: (v: number) => formatTime(v) },
          { title: t('audit.actor'), dataIndex: 'actor_name' },
          { title: t('audit.action'), dataIndex: 'action' },
          { title: t('audit.resource'), render: (_, e) => `${e.resource_type} ${e.resource_id}` },
          { title: t('audit.result'), dataIndex: 'result', render: (r: string) => <Tag color={r === 'success' ? 'green' : 'red'}>{r === 'success' ? t('audit.success') : t('audit.failure')}</Tag> },
          { title: t('audit.detail'), dataIndex: 'detail' },
          { title: t('audit.ip'), dataIndex: 'source_ip' },
        ]}
      />
    </div>
  );
}
