// The create form of a model service. The name rule is checked on every
// keystroke and a form with a broken rule is never sent; the model file
// check is explained next to the path, since the cluster runs it before
// any replica starts.
import { useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Card, Form, Input, InputNumber, Select, Space, Typography } from 'antd';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { api, listAll } from '../../api/client';
import type { DeploymentDetail, DeploymentTemplate, Model } from '../../api/types';
import { useI18n } from '../../i18n';
import { useFeatures } from '../../api/features';
import { useSession } from '../../session/session';
import { nameProblem } from './nameRule';
import { MAX_REPLICAS } from './ScaleDeployment';

interface Values {
  name: string;
  model?: string;
  template?: string;
  model_path: string;
  replicas: number;
  cluster: string;
  namespace: string;
}

interface Resources {
  cpu?: number;
  memory?: number;
  gpuType?: string;
  gpuCount?: number;
}

function templateLabel(tpl: DeploymentTemplate): string {
  const r = (tpl.resources ?? {}) as Resources;
  const gpu = r.gpuCount ? ` · ${r.gpuCount} × ${r.gpuType}` : '';
  return `${String(tpl.name)} — ${String(tpl.runtime)} · ${r.cpu ?? 0} CPU · ${r.memory ?? 0} GB${gpu}`;
}

// Body for the API: only what the user chose (the server fills defaults).
function requestBody(v: Values): Record<string, unknown> {
  return Object.fromEntries(Object.entries({ ...v, model_path: v.model_path.trim() }).filter(([, x]) => x !== undefined && x !== ''));
}

export default function CreateDeploymentPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const features = useFeatures();
  const { isAdmin } = useSession();
  const [params] = useSearchParams();
  const [form] = Form.useForm<Values>();
  const [models, setModels] = useState<Model[]>([]);
  const [templates, setTemplates] = useState<DeploymentTemplate[]>([]);
  const [clusters, setClusters] = useState<string[]>(['local']);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const model = Form.useWatch('model', form);

  useEffect(() => {
    listAll<Model>('/models')
      .then(setModels)
      .catch((e: Error) => setError(e.message));
  }, []);

  // Only administrators may list clusters; others deploy to the default one.
  useEffect(() => {
    if (!features?.clusters || !isAdmin) return;
    listAll<{ name: string }>('/clusters')
      .then((cs) => cs.length > 0 && setClusters(cs.map((c) => c.name)))
      .catch(() => setClusters(['local']));
  }, [features?.clusters, isAdmin]);

  // A model's templates; the first one is chosen for the user.
  useEffect(() => {
    setTemplates([]);
    form.setFieldValue('template', undefined);
    if (!model) return;
    listAll<DeploymentTemplate>('/deployment-templates', { model_id: model })
      .then((ts) => {
        setTemplates(ts);
        if (ts.length > 0) form.setFieldValue('template', ts[0].id);
      })
      .catch((e: Error) => setError(e.message));
  }, [model, form]);

  const modelOptions = useMemo(() => models.map((m) => ({ value: m.id, label: `${m.display_name} (${m.id})` })), [models]);

  const submit = async (v: Values) => {
    setBusy(true);
    try {
      const d = await api<DeploymentDetail>('/deployments', { method: 'POST', body: requestBody(v) });
      message.success(t('deploy.createdMsg', { name: d.name }));
      navigate(`/deployments/${encodeURIComponent(d.id)}`);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div style={{ maxWidth: 760 }}>
      <Typography.Title level={2} style={{ marginTop: 0 }}>
        {t('deploy.create')}
      </Typography.Title>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} data-testid="deploy-error" closable onClose={() => setError('')} />}
      <Card>
        <Form<Values>
          form={form}
          layout="vertical"
          onFinish={(v) => void submit(v)}
          initialValues={{ model: params.get('model') ?? undefined, replicas: 1, cluster: 'local', namespace: 'default' }}
          data-testid="deploy-form"
        >
          <Form.Item
            name="name"
            label={t('deploy.name')}
            extra={t('deploy.nameRule')}
            validateTrigger="onChange"
            rules={[
              {
                validator: (_, value: string | undefined) => {
                  const problem = nameProblem(value ?? '');
                  return problem ? Promise.reject(new Error(t(problem))) : Promise.resolve();
                },
              },
            ]}
          >
            <Input data-testid="deploy-name" autoComplete="off" autoFocus />
          </Form.Item>
          <Form.Item name="model" label={t('deploy.model')} extra={t('deploy.modelHelp')}>
            <Select showSearch allowClear optionFilterProp="label" options={modelOptions} data-testid="deploy-model" placeholder={t('deploy.modelPlaceholder')} />
          </Form.Item>
          <Form.Item name="template" label={t('deploy.template')} extra={model && templates.length === 0 ? t('deploy.noTemplates') : t('deploy.templateHelp')}>
            <Select allowClear disabled={templates.length === 0} options={templates.map((tpl) => ({ value: tpl.id, label: templateLabel(tpl) }))} data-testid="deploy-template" />
          </Form.Item>
          <Form.Item
            name="model_path"
            label={t('deploy.modelPath')}
            extra={t('deploy.fileCheckHelp')}
            rules={[
              { required: true, message: t('deploy.modelPathRequired') },
              { pattern: /^\//, message: t('deploy.modelPathAbsolute') },
            ]}
          >
            <Input data-testid="deploy-model-path" placeholder="/models/qwen2-0.5b-instruct.gguf" autoComplete="off" />
          </Form.Item>
          <Space wrap size="large" align="start">
            <Form.Item name="replicas" label={t('deploy.replicas')} rules={[{ required: true }]}>
              <InputNumber min={0} max={MAX_REPLICAS} precision={0} data-testid="deploy-replicas" />
            </Form.Item>
            <Form.Item name="cluster" label={t('deploy.cluster')}>
              <Select style={{ minWidth: 160 }} options={clusters.map((c) => ({ value: c, label: c }))} data-testid="deploy-cluster" />
            </Form.Item>
            <Form.Item
              name="namespace"
              label={t('deploy.namespace')}
              validateTrigger="onChange"
              rules={[{ validator: (_, v: string | undefined) => (nameProblem(v ?? '') ? Promise.reject(new Error(t('deploy.namespaceRule'))) : Promise.resolve()) }]}
            >
              <Input data-testid="deploy-namespace" />
            </Form.Item>
          </Space>
          <Space>
            <Button type="primary" htmlType="submit" loading={busy} data-testid="deploy-submit">
              {t('deploy.submit')}
            </Button>
            <Button onClick={() => navigate('/deployments')}>{t('common.cancel')}</Button>
          </Space>
        </Form>
      </Card>
    </div>
  );
}
