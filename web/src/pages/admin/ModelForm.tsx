// Create or edit a catalog model.
import { useEffect } from 'react';
import { App, Form, Input, InputNumber, Modal, Select } from 'antd';
import { api } from '../../api/client';
import type { Model, Provider } from '../../api/types';
import { useI18n } from '../../i18n';
import { knownTags } from '../../components/tags';

interface Values {
  id: string;
  display_name: string;
  provider_id: string;
  tags: string[];
  en: string;
  zh: string;
  huggingface: string;
  modelscope: string;
  maxTokens: number;
  price_input: number;
  price_output: number;
}

export function ModelForm({ model, open, providers, onClose, onSaved }: { model: Model | null; open: boolean; providers: Provider[]; onClose: () => void; onSaved: () => void }) {
  const { t, local } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  useEffect(() => {
    if (!open) return;
    form.setFieldsValue(
      model
        ? {
            id: model.id,
            display_name: model.display_name,
            provider_id: model.provider_id,
            tags: model.tags,
            en: model.description.enUS ?? '',
            zh: model.description.zhCN ?? '',
            huggingface: model.sources.huggingface,
            modelscope: model.sources.modelscope,
            maxTokens: model.config.maxTokens,
            price_input: model.price_input,
            price_output: model.price_output,
          }
        : { id: '', display_name: '', provider_id: '', tags: ['TEXT_GENERATION'], en: '', zh: '', huggingface: '', modelscope: '', maxTokens: 0, price_input: 0, price_output: 0 },
    );
  }, [open, model, form]);

  const save = async (v: Values) => {
    const body = {
      display_name: v.display_name,
      provider_id: v.provider_id ?? '',
      tags: v.tags,
      description: { enUS: v.en, zhCN: v.zh },
      sources: { huggingface: v.huggingface ?? '', modelscope: v.modelscope ?? '' },
      config: { maxTokens: v.maxTokens ?? 0 },
      price_input: v.price_input ?? 0,
      price_output: v.price_output ?? 0,
    };
    try {
      if (model) await api(`/models/${encodeURIComponent(model.id)}`, { method: 'PATCH', body });
      else await api('/models', { method: 'POST', body: { id: v.id, ...body } });
      message.success(t('common.saved'));
      onSaved();
      onClose();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  return (
    <Modal title={model ? t('models.edit') : t('models.create')} open={open} onCancel={onClose} onOk={() => form.submit()} okText={t('common.save')} cancelText={t('common.cancel')} width={640} destroyOnClose>
      <Form form={form} layout="vertical" onFinish={save}>
        <Form.Item name="id" label={t('models.id')} rules={[{ required: true }, { pattern: /^[a-z0-9]([a-z0-9._-]{0,126}[a-z0-9])?$/, message: t('models.idRule') }]}>
          <Input disabled={!!model} />
        </Form.Item>
        <Form.Item name="display_name" label={t('models.displayName')}>
          <Input />
        </Form.Item>
        <Form.Item name="provider_id" label={t('square.provider')}>
          <Select allowClear options={providers.map((p) => ({ value: p.id, label: local(p.name) || p.id }))} />
        </Form.Item>
        <Form.Item name="tags" label={t('square.type')}>
          <Select mode="tags" options={Object.keys(knownTags).map((k) => ({ value: k, label: t(knownTags[k]) }))} />
        </Form.Item>
        <Form.Item name="en" label={t('models.descEn')}>
          <Input.TextArea autoSize={{ minRows: 2 }} />
        </Form.Item>
        <Form.Item name="zh" label={t('models.descZh')}>
          <Input.TextArea autoSize={{ minRows: 2 }} />
        </Form.Item>
        <Form.Item name="huggingface" label="Hugging Face">
          <Input />
        </Form.Item>
        <Form.Item name="modelscope" label="ModelScope">
          <Input />
        </Form.Item>
        <Form.Item name="maxTokens" label={t('details.context')}>
          <InputNumber min={0} style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item name="price_input" label={t('models.priceIn')}>
          <InputNumber min={0} style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item name="price_output" label={t('models.priceOut')}>
          <InputNumber min={0} style={{ width: '100%' }} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
