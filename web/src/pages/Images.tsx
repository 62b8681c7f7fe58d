// 图像生成: a prompt (and what to avoid), size and guidance scale sent to a
// TEXT_TO_IMAGE model through the gateway's /v1/images/generations.
import { useEffect, useState } from 'react';
import { Alert, App, Button, Card, Col, Empty, Form, Image, Input, InputNumber, Row, Select, Slider, Space, Spin, Typography } from 'antd';
import { PictureOutlined } from '@ant-design/icons';
import { useSearchParams } from 'react-router-dom';
import { listAll } from '../api/client';
import type { Deployment, MaasModel, Model } from '../api/types';
import { useI18n } from '../i18n';
import { useSession } from '../session/session';
import { useFeatures } from '../api/features';
import { usePlaygroundKey } from '../chat/usePlaygroundKey';
import { defaultImageSettings, generateImages, imageRequestBody, imageSizes, type GeneratedImage, type ImageSettings } from '../chat/images';

// Access names (MaaS routes and this workspace's services) of image models.
async function imageModels(withDeployments: boolean): Promise<string[]> {
  const models = await listAll<Model>('/models', { tag: 'TEXT_TO_IMAGE' });
  const ids = new Set(models.map((m) => m.id));
  const routes = await listAll<MaasModel>('/maas-models').catch(() => [] as MaasModel[]);
  const services = withDeployments ? await listAll<Deployment>('/deployments').catch(() => [] as Deployment[]) : [];
  return [...routes.filter((r) => r.enabled && ids.has(r.model_id)).map((r) => r.access_name), ...services.filter((d) => ids.has(d.model)).map((d) => d.access_name)];
}

export default function ImagesPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const { workspaceId } = useSession();
  const features = useFeatures();
  const [params] = useSearchParams();
  const [form] = Form.useForm<ImageSettings & { model: string }>();
  const [models, setModels] = useState<string[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [images, setImages] = useState<GeneratedImage[]>([]);
  const [latency, setLatency] = useState<number | null>(null);
  const { key, error: keyError } = usePlaygroundKey(workspaceId, (k) => message.info(t('play.keyCreated', { key: k.masked })));

  useEffect(() => {
    if (!features) return;
    imageModels(features.deployments)
      .then(setModels)
      .catch((e: Error) => {
        setModels([]);
        setError(e.message);
      });
  }, [features]);

  const generate = async (v: ImageSettings & { model: string }) => {
    if (!key) return;
    if (!v.model) {
      message.warning(t('play.chooseModel'));
      return;
    }
    setBusy(true);
    setError('');
    const started = performance.now();
    try {
      setImages(await generateImages(key.key, imageRequestBody(v.model, v)));
      setLatency(Math.round(performance.now() - started));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div>
      <Typography.Title level={2} style={{ marginTop: 0 }}>
        {t('images.title')}
      </Typography.Title>
      {(keyError || error) && <Alert type="error" showIcon message={keyError || error} style={{ marginBottom: 12 }} data-testid="images-error" />}
      {models && models.length === 0 && <Alert type="info" showIcon message={t('images.noModels')} style={{ marginBottom: 12 }} />}
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={10}>
          <Card>
            <Form form={form} layout="vertical" onFinish={(v) => void generate(v)} initialValues={{ ...defaultImageSettings, model: params.get('model') ?? undefined }}>
              {/* Checked on submit rather than by a rule: a required rule puts aria-required on the select's wrapper. */}
              <Form.Item name="model" label={t('play.model')}>
                <Select showSearch loading={!models} options={(models ?? []).map((m) => ({ value: m, label: m }))} placeholder={t('play.chooseModel')} data-testid="images-model" />
              </Form.Item>
              <Form.Item name="prompt" label={t('images.prompt')} rules={[{ required: true, message: t('images.promptRequired') }]}>
                <Input.TextArea autoSize={{ minRows: 3, maxRows: 8 }} maxLength={4000} data-testid="images-prompt" />
              </Form.Item>
              <Form.Item name="negative_prompt" label={t('images.negative')} extra={t('images.negativeHelp')}>
                <Input.TextArea autoSize={{ minRows: 2, maxRows: 6 }} maxLength={4000} data-testid="images-negative" />
              </Form.Item>
              <Space wrap size="large" align="start">
                <Form.Item name="size" label={t('images.size')}>
                  <Select style={{ minWidth: 140 }} options={imageSizes.map((s) => ({ value: s, label: s.replace('x', ' × ') }))} data-testid="images-size" />
                </Form.Item>
                <Form.Item name="n" label={t('images.count')}>
                  <InputNumber min={1} max={4} precision={0} />
                </Form.Item>
              </Space>
              <Form.Item name="guidance_scale" label={t('images.guidance')} extra={t('images.guidanceHelp')}>
                <Slider min={1} max={20} step={0.5} ariaLabelForHandle={t('images.guidance')} />
              </Form.Item>
              <Button type="primary" htmlType="submit" icon={<PictureOutlined />} loading={busy} disabled={!key} data-testid="images-generate">
                {t('images.generate')}
              </Button>
            </Form>
          </Card>
        </Col>
        <Col xs={24} lg={14}>
          <Card data-testid="images-result">
            {busy ? (
              <div style={{ textAlign: 'center', padding: 48 }}>
                <Spin />
              </div>
            ) : images.length === 0 ? (
              <Empty description={t('images.empty')} />
            ) : (
              <>
                <Image.PreviewGroup>
                  <Space wrap>
                    {images.map((img, i) => (
                      <Image key={i} src={img.src} width={240} alt={img.revised_prompt || t('images.alt', { n: i + 1 })} data-testid="generated-image" />
                    ))}
                  </Space>
                </Image.PreviewGroup>
                {latency !== null && (
                  <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
                    {t('images.took', { ms: latency })}
                  </Typography.Paragraph>
                )}
              </>
            )}
          </Card>
        </Col>
      </Row>
    </div>
  );
}
