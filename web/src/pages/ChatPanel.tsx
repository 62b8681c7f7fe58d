// One model's column in the playground: model choice, its settings, the
// conversation with token counts and latency under each answer.
import { useState } from 'react';
import { Button, Card, Collapse, Empty, Form, Input, InputNumber, Select, Slider, Space, Tooltip, Typography, App } from 'antd';
import { ClearOutlined, CloseOutlined, CopyOutlined, ReloadOutlined } from '@ant-design/icons';
import type { PanelState } from '../chat/history';
import type { ChatSettings } from '../chat/sse';
import { useI18n } from '../i18n';

interface Props {
  index: number;
  panel: PanelState;
  models: string[];
  busy: boolean;
  canRemove: boolean;
  onChange: (p: PanelState) => void;
  onRegenerate: () => void;
  onRemove: () => void;
}

export function ChatPanel({ index, panel, models, busy, canRemove, onChange, onRegenerate, onRemove }: Props) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [open, setOpen] = useState<string[]>([]);
  const set = (patch: Partial<ChatSettings>) => onChange({ ...panel, settings: { ...panel.settings, ...patch } });
  const lastAssistant = panel.turns.length > 0 && panel.turns[panel.turns.length - 1].role === 'assistant';

  const copy = async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      message.success(t('common.copied'));
    } catch {
      message.error(t('common.copyFailed'));
    }
  };

  return (
    <Card
      size="small"
      data-testid={`panel-${index}`}
      title={
        <Select
          aria-label={t('play.model')}
          data-testid={`panel-${index}-model`}
          showSearch
          value={panel.model || undefined}
          placeholder={t('play.chooseModel')}
          onChange={(model) => onChange({ ...panel, model })}
          options={models.map((m) => ({ value: m, label: m }))}
          style={{ width: '100%', maxWidth: 320 }}
        />
      }
      extra={
        <Space size={0}>
          <Tooltip title={t('play.clear')}>
            <Button type="text" aria-label={t('play.clear')} data-testid={`panel-${index}-clear`} icon={<ClearOutlined />} disabled={busy} onClick={() => onChange({ ...panel, turns: [] })} />
          </Tooltip>
          {canRemove && (
            <Tooltip title={t('play.remove')}>
              <Button type="text" aria-label={t('play.remove')} icon={<CloseOutlined />} disabled={busy} onClick={onRemove} />
            </Tooltip>
          )}
        </Space>
      }
      styles={{ body: { display: 'flex', flexDirection: 'column', gap: 8 } }}
    >
      <Collapse
        size="small"
        activeKey={open}
        onChange={(k) => setOpen(k as string[])}
        items={[
          {
            key: 'settings',
            label: t('play.settings'),
            children: (
              <Form layout="vertical" size="small">
                <Form.Item label={t('play.system')}>
                  <Input.TextArea aria-label={t('play.system')} data-testid={`panel-${index}-system`} autoSize={{ minRows: 1, maxRows: 4 }} value={panel.settings.system} onChange={(e) => set({ system: e.target.value })} />
                </Form.Item>
                <Form.Item label={`${t('play.temperature')}: ${panel.settings.temperature}`}>
                  <Space.Compact style={{ width: '100%' }}>
                    <Slider style={{ flex: 1, marginRight: 12 }} min={0} max={2} step={0.1} value={panel.settings.temperature} onChange={(v) => set({ temperature: v })} />
                    <InputNumber aria-label={t('play.temperature')} data-testid={`panel-${index}-temperature`} min={0} max={2} step={0.1} value={panel.settings.temperature} onChange={(v) => set({ temperature: v ?? 0 })} />
                  </Space.Compact>
                </Form.Item>
                <Form.Item label={`${t('play.topP')}: ${panel.settings.top_p}`}>
                  <Space.Compact style={{ width: '100%' }}>
                    <Slider style={{ flex: 1, marginRight: 12 }} min={0} max={1} step={0.05} value={panel.settings.top_p} onChange={(v) => set({ top_p: v })} />
                    <InputNumber aria-label={t('play.topP')} min={0} max={1} step={0.05} value={panel.settings.top_p} onChange={(v) => set({ top_p: v ?? 1 })} />
                  </Space.Compact>
                </Form.Item>
                <Form.Item label={t('play.maxTokens')} extra={t('play.maxTokensHint')}>
                  <InputNumber aria-label={t('play.maxTokens')} data-testid={`panel-${index}-max-tokens`} min={0} max={1000000} value={panel.settings.max_tokens} onChange={(v) => set({ max_tokens: v ?? 0 })} />
                </Form.Item>
                <Form.Item label={`${t('play.frequencyPenalty')}: ${panel.settings.frequency_penalty}`}>
                  <Slider min={-2} max={2} step={0.1} value={panel.settings.frequency_penalty} onChange={(v) => set({ frequency_penalty: v })} />
                </Form.Item>
              </Form>
            ),
          },
        ]}
      />
      <div style={{ minHeight: 160, maxHeight: 480, overflowY: 'auto' }} data-testid={`panel-${index}-turns`}>
        {panel.turns.length === 0 && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('play.emptyPanel')} />}
        {panel.turns.map((turn, i) => (
          <div key={i} style={{ margin: '8px 0', textAlign: turn.role === 'user' ? 'right' : 'left' }}>
            <div
              data-testid={turn.role === 'assistant' ? 'answer' : 'question'}
              style={{
                display: 'inline-block',
                maxWidth: '92%',
                padding: '6px 10px',
                borderRadius: 8,
                whiteSpace: 'pre-wrap',
                textAlign: 'left',
                background: turn.role === 'user' ? '#e6f4ff' : '#f5f5f5',
                color: turn.error ? '#cf1322' : undefined,
              }}
            >
              {turn.content || (turn.error ? turn.error : '…')}
            </div>
            {turn.role === 'assistant' && turn.latency_ms !== undefined && (
              <div style={{ fontSize: 12, color: '#595959' }} data-testid="answer-stats">
                {t('play.stats', {
                  input: turn.prompt_tokens ?? '—',
                  output: turn.completion_tokens ?? '—',
                  latency: turn.latency_ms,
                  first: turn.first_token_ms ?? '—',
                })}
                <Button type="link" size="small" aria-label={t('play.copy')} icon={<CopyOutlined />} onClick={() => void copy(turn.content)} />
                {i === panel.turns.length - 1 && lastAssistant && (
                  <Button type="link" size="small" aria-label={t('play.regenerate')} data-testid={`panel-${index}-regenerate`} icon={<ReloadOutlined />} disabled={busy} onClick={onRegenerate} />
                )}
              </div>
            )}
          </div>
        ))}
      </div>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {t('play.turns', { n: panel.turns.filter((x) => x.role === 'user').length })}
      </Typography.Text>
    </Card>
  );
}
