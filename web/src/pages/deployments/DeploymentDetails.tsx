// One model service: basic facts, how to call it, replicas and events,
// logs; scale, stop/start, restart, try in the playground, delete.
import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Descriptions, Space, Table, Tabs, Tag, Typography } from 'antd';
import { useNavigate, useParams } from 'react-router-dom';
import { api } from '../../api/client';
import type { DeploymentDetail, DeploymentEvent, Replica } from '../../api/types';
import { useI18n } from '../../i18n';
import { formatTime } from '../../components/format';
import { settling, StateTag } from './StateTag';
import { DeleteDeployment } from './DeleteDeployment';
import { ScaleDeployment } from './ScaleDeployment';
import { Examples } from './Examples';
import { Logs } from './Logs';
import { runAction, type DeploymentAction } from './actions';
import { FileCheck } from './FileCheck';

const POLL_MS = 1000;

const doneMessage = { stop: 'deploy.stopped', start: 'deploy.started', restart: 'deploy.restarted' } as const;

export default function DeploymentDetailsPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const { id = '' } = useParams();
  const [d, setD] = useState<DeploymentDetail | null>(null);
  const [error, setError] = useState('');
  const [deleting, setDeleting] = useState(false);
  const [scaling, setScaling] = useState(false);

  const load = useCallback(() => {
    api<DeploymentDetail>(`/deployments/${encodeURIComponent(id)}`)
      .then((v) => {
        setD(v);
        setError('');
      })
      .catch((e: Error) => setError(e.message));
  }, [id]);
  useEffect(load, [load]);

  const changing = d ? settling(d.state) || d.ready_replicas !== (d.desired === 'running' ? d.replicas : 0) : false;
  useEffect(() => {
    if (!changing) return;
    const timer = setInterval(load, POLL_MS);
    return () => clearInterval(timer);
  }, [changing, load]);

  const act = async (action: DeploymentAction) => {
    if (!d) return;
    try {
      setD({ ...d, ...(await runAction(d, action)) });
      message.success(t(doneMessage[action], { name: d.name }));
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  if (error && !d) return <Alert type="error" showIcon message={error} />;
  if (!d) return null;
  const stopped = d.desired === 'stopped';
  return (
    <div data-testid="deployment-details">
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={2} style={{ marginTop: 0 }}>
          {d.name} <StateTag state={d.state} />
        </Typography.Title>
        <Space wrap>
          <Button type="primary" disabled={d.state !== 'Running'} onClick={() => navigate(`/playground?model=${encodeURIComponent(d.access_name)}`)} data-testid="deployment-try">
            {t('square.try')}
          </Button>
          <Button onClick={() => setScaling(true)} data-testid="deployment-scale">
            {t('deploy.scale')}
          </Button>
          <Button onClick={() => void act(stopped ? 'start' : 'stop')}>{t(stopped ? 'deploy.start' : 'deploy.stop')}</Button>
          <Button onClick={() => void act('restart')} disabled={stopped}>
            {t('deploy.restart')}
          </Button>
          <Button danger onClick={() => setDeleting(true)} data-testid="deployment-delete">
            {t('common.delete')}
          </Button>
        </Space>
      </Space>
      {d.reason && <Alert type={d.state === 'Failed' || d.state === 'Degraded' ? 'error' : 'info'} showIcon message={d.reason} style={{ marginBottom: 16 }} data-testid="deployment-reason" />}
      <Tabs
        items={[
          { key: 'info', label: t('deploy.tabInfo'), children: <BasicInfo d={d} /> },
          { key: 'call', label: t('deploy.tabCall'), children: <Examples d={d} /> },
          { key: 'replicas', label: t('deploy.tabReplicas'), children: <ReplicasAndEvents d={d} /> },
          { key: 'logs', label: t('deploy.tabLogs'), children: <Logs d={d} /> },
        ]}
      />
      <ScaleDeployment
        deployment={scaling ? d : null}
        onClose={() => setScaling(false)}
        onScaled={() => {
          setScaling(false);
          load();
        }}
      />
      <DeleteDeployment deployment={deleting ? d : null} onClose={() => setDeleting(false)} onDeleted={() => navigate('/deployments')} />
    </div>
  );
}

function BasicInfo({ d }: { d: DeploymentDetail }) {
  const { t } = useI18n();
  return (
    <Descriptions column={{ xs: 1, md: 2 }} size="small" bordered data-testid="deployment-info">
      <Descriptions.Item label={t('deploy.name')}>{d.name}</Descriptions.Item>
      <Descriptions.Item label={t('deploy.accessName')}>
        <Typography.Text code copyable data-testid="deployment-access-name">
          {d.access_name}
        </Typography.Text>
      </Descriptions.Item>
      <Descriptions.Item label={t('deploy.state')}>
        <StateTag state={d.state} />
      </Descriptions.Item>
      <Descriptions.Item label={t('deploy.replicas')}>{`${d.ready_replicas} / ${d.replicas}`}</Descriptions.Item>
      <Descriptions.Item label={t('deploy.model')}>{d.model || '—'}</Descriptions.Item>
      <Descriptions.Item label={t('deploy.runtime')}>{d.runtime}</Descriptions.Item>
      <Descriptions.Item label={t('deploy.cluster')}>{d.cluster}</Descriptions.Item>
      <Descriptions.Item label={t('deploy.namespace')}>{d.namespace}</Descriptions.Item>
      <Descriptions.Item label={t('deploy.modelPath')}>
        <Typography.Text code>{d.model_path}</Typography.Text>
      </Descriptions.Item>
      <Descriptions.Item label={t('deploy.fileCheck')}>
        <FileCheck d={d} />
      </Descriptions.Item>
      <Descriptions.Item label={t('deploy.resources')}>{t('deploy.resourcesValue', { cpu: d.resources?.cpu ?? 0, memory: d.resources?.memory ?? 0 })}</Descriptions.Item>
      <Descriptions.Item label={t('deploy.serviceId')}>{d.service_id}</Descriptions.Item>
      <Descriptions.Item label={t('deploy.createdAt')}>{formatTime(d.created_at)}</Descriptions.Item>
      <Descriptions.Item label={t('deploy.updatedAt')}>{formatTime(d.updated_at)}</Descriptions.Item>
    </Descriptions>
  );
}

function ReplicasAndEvents({ d }: { d: DeploymentDetail }) {
  const { t } = useI18n();
  return (
    <>
      <Table<Replica>
        rowKey="index"
        size="small"
        pagination={false}
        scroll={{ x: true }}
        dataSource={d.replica_status}
        data-testid="replicas-table"
        columns={[
          { title: '#', dataIndex: 'index' },
          { title: t('deploy.state'), dataIndex: 'state', render: (v: string, r) => <Tag color={r.ready ? 'success' : 'default'}>{v}</Tag> },
          { title: t('deploy.endpoint'), dataIndex: 'endpoint', render: (v: string) => v || '—' },
          { title: t('deploy.restarts'), dataIndex: 'restarts' },
          { title: t('deploy.startedAt'), dataIndex: 'started_at', render: (v: number) => formatTime(v) },
          { title: t('deploy.reason'), dataIndex: 'reason' },
        ]}
      />
      <Typography.Title level={3} style={{ fontSize: 16, marginTop: 24 }}>
        {t('deploy.events')}
      </Typography.Title>
      <Table<DeploymentEvent>
        rowKey={(e) => `${e.time}-${e.reason}-${e.message}`}
        size="small"
        pagination={false}
        scroll={{ x: true }}
        dataSource={d.events}
        columns={[
          { title: t('audit.time'), dataIndex: 'time', render: (v: number) => formatTime(v) },
          { title: t('deploy.eventType'), dataIndex: 'type', render: (v: string) => <Tag color={v === 'Warning' ? 'warning' : 'default'}>{v}</Tag> },
          { title: t('deploy.reason'), dataIndex: 'reason' },
          { title: t('deploy.message'), dataIndex: 'message' },
        ]}
      />
    </>
  );
}
