// 模型部署: the workspace's model services with their state, and the
// actions that change them (scale, stop/start, delete by typing the name).
import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Space, Table, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { Link, useNavigate } from 'react-router-dom';
import { api } from '../../api/client';
import type { Deployment, Page } from '../../api/types';
import { useI18n } from '../../i18n';
import { useSession } from '../../session/session';
import { formatTime } from '../../components/format';
import { settling, StateTag } from './StateTag';
import { DeleteDeployment } from './DeleteDeployment';
import { ScaleDeployment } from './ScaleDeployment';
import { runAction } from './actions';

const POLL_MS = 2000;

export default function DeploymentsPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const { workspaceId } = useSession();
  const navigate = useNavigate();
  const [data, setData] = useState<Page<Deployment> | null>(null);
  const [page, setPage] = useState(1);
  const [error, setError] = useState('');
  const [deleting, setDeleting] = useState<Deployment | null>(null);
  const [scaling, setScaling] = useState<Deployment | null>(null);

  const load = useCallback(() => {
    api<Page<Deployment>>('/deployments', { query: { page, page_size: 20 } })
      .then((p) => {
        setData(p);
        setError('');
      })
      .catch((e: Error) => setError(e.message));
  }, [page]);
  useEffect(load, [load, workspaceId]);

  // Follow services that are still changing state.
  const changing = data?.items.some((d) => settling(d.state)) ?? false;
  useEffect(() => {
    if (!changing) return;
    const timer = setInterval(load, POLL_MS);
    return () => clearInterval(timer);
  }, [changing, load]);

  const act = async (d: Deployment, action: 'stop' | 'start') => {
    try {
      await runAction(d, action);
      message.success(t(action === 'stop' ? 'deploy.stopped' : 'deploy.started', { name: d.name }));
      load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  return (
    <div>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={2} style={{ marginTop: 0 }}>
          {t('deploy.title')}
        </Typography.Title>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/deployments/new')} data-testid="create-deployment">
          {t('deploy.create')}
        </Button>
      </Space>
      <Typography.Paragraph type="secondary">{t('deploy.intro')}</Typography.Paragraph>
      {error && <Alert type="error" showIcon message={error} />}
      <Table<Deployment>
        rowKey="id"
        data-testid="deployments-table"
        loading={!data && !error}
        dataSource={data?.items}
        scroll={{ x: true }}
        pagination={{ current: page, total: data?.total, pageSize: 20, onChange: setPage }}
        columns={[
          {
            title: t('deploy.name'),
            dataIndex: 'name',
            render: (v: string, d) => (
              <Link to={`/deployments/${encodeURIComponent(d.id)}`} data-testid={`deployment-${v}`}>
                {v}
              </Link>
            ),
          },
          { title: t('deploy.accessName'), dataIndex: 'access_name', render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
          { title: t('deploy.model'), dataIndex: 'model', render: (v: string) => v || '—' },
          { title: t('deploy.state'), dataIndex: 'state', render: (_: unknown, d) => <StateTag state={d.state} /> },
          { title: t('deploy.replicas'), render: (_: unknown, d) => `${d.ready_replicas} / ${d.replicas}` },
          { title: t('deploy.cluster'), render: (_: unknown, d) => `${d.cluster} / ${d.namespace}` },
          { title: t('deploy.createdAt'), dataIndex: 'created_at', render: (v: number) => formatTime(v) },
          {
            title: t('common.actions'),
            render: (_: unknown, d) => (
              <Space size={0}>
                <Button type="link" size="small" onClick={() => setScaling(d)}>
                  {t('deploy.scale')}
                </Button>
                <Button type="link" size="small" onClick={() => void act(d, d.desired === 'stopped' ? 'start' : 'stop')}>
                  {t(d.desired === 'stopped' ? 'deploy.start' : 'deploy.stop')}
                </Button>
                <Button type="link" size="small" danger onClick={() => setDeleting(d)} data-testid={`delete-${d.name}`}>
                  {t('common.delete')}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      <ScaleDeployment
        deployment={scaling}
        onClose={() => setScaling(null)}
        onScaled={() => {
          setScaling(null);
          load();
        }}
      />
      <DeleteDeployment
        deployment={deleting}
        onClose={() => setDeleting(null)}
        onDeleted={() => {
          setDeleting(null);
          load();
        }}
      />
    </div>
  );
}
