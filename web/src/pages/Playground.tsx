// 模型体验: the same question to up to three models side by side, streamed
// from the gateway with an API key; history of past conversations.
import { useCallback, useEffect, useRef, useState } from 'react';
import { Alert, App, Button, Col, Drawer, Input, List, Popconfirm, Row, Select, Space, Typography } from 'antd';
import { HistoryOutlined, PlusOutlined, SendOutlined, StopOutlined } from '@ant-design/icons';
import { useSearchParams } from 'react-router-dom';
import { useI18n } from '../i18n';
import { useSession } from '../session/session';
import { ChatPanel } from './ChatPanel';
import { defaultSettings, requestBody, streamChat, type ChatMessage } from '../chat/sse';
import { clearHistory, deleteConversation, loadHistory, saveConversation, type Conversation, type PanelState, type Turn } from '../chat/history';
import { createPlaygroundKey, maskKey, rememberKey, storedKeys, type StoredKey } from '../chat/keys';

const MAX_PANELS = 3;

function newPanel(model = ''): PanelState {
  return { model, settings: { ...defaultSettings }, turns: [] };
}

function newId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

function toMessages(turns: Turn[]): ChatMessage[] {
  return turns.filter((t) => !t.error).map((t) => ({ role: t.role, content: t.content }));
}

export default function PlaygroundPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const { workspaceId } = useSession();
  const [params] = useSearchParams();
  const [keys, setKeys] = useState<StoredKey[]>([]);
  const [keyId, setKeyId] = useState<string>('');
  const [models, setModels] = useState<string[]>([]);
  const [modelsError, setModelsError] = useState('');
  const [panels, setPanels] = useState<PanelState[]>(() => [newPanel(params.get('model') ?? '')]);
  const [input, setInput] = useState('');
  const [busy, setBusy] = useState(false);
  const [pasted, setPasted] = useState('');
  const [historyOpen, setHistoryOpen] = useState(false);
  const [history, setHistory] = useState<Conversation[]>(loadHistory);
  const conversationId = useRef(newId());
  const title = useRef(''); // the conversation's first question
  const abort = useRef<AbortController | null>(null);
  const creating = useRef('');
  const key = keys.find((k) => k.id === keyId);

  // First use: pick a remembered key or create one for the playground.
  useEffect(() => {
    const mine = storedKeys(workspaceId);
    if (mine.length > 0) {
      setKeys(mine);
      setKeyId(mine[0].id);
      return;
    }
    if (creating.current === workspaceId) return;
    creating.current = workspaceId;
    createPlaygroundKey(workspaceId)
      .then((k) => {
        setKeys([k]);
        setKeyId(k.id);
        message.info(t('play.keyCreated', { key: k.masked }));
      })
      .catch((e: Error) => setModelsError(e.message));
  }, [workspaceId, message, t]);

  useEffect(() => {
    if (!key) return;
    fetch('/v1/models', { headers: { Authorization: `Bearer ${key.key}` } })
      .then(async (r) => {
        if (!r.ok) throw new Error((await r.json().catch(() => null))?.error?.message ?? r.statusText);
        return r.json();
      })
      .then((body: { data: { id: string }[] }) => {
        setModels(body.data.map((m) => m.id));
        setModelsError('');
      })
      .catch((e: Error) => setModelsError(e.message));
  }, [key]);

  const updatePanel = (i: number, p: PanelState) => setPanels((ps) => ps.map((x, j) => (j === i ? p : x)));

  const persist = useCallback((ps: PanelState[]) => {
    if (!title.current) return;
    setHistory(saveConversation({ id: conversationId.current, time: Date.now(), title: title.current, panels: ps }));
  }, []);

  // Streams an answer for panel i from its turns (which end with a question).
  const answer = async (i: number, base: PanelState, signal: AbortSignal): Promise<PanelState> => {
    const turns = [...base.turns, { role: 'assistant' as const, content: '' }];
    setPanels((ps) => ps.map((x, j) => (j === i ? { ...base, turns } : x)));
    const result = await streamChat(key!.key, requestBody(base.model, base.settings, toMessages(base.turns)), signal, (text) =>
      setPanels((ps) => ps.map((x, j) => (j === i ? { ...x, turns: [...base.turns, { role: 'assistant', content: text }] } : x))),
    );
    const done: PanelState = { ...base, turns: [...base.turns, { role: 'assistant', ...result }] };
    setPanels((ps) => ps.map((x, j) => (j === i ? done : x)));
    return done;
  };

  const run = async (jobs: { i: number; base: PanelState }[]) => {
    setBusy(true);
    abort.current = new AbortController();
    const signal = abort.current.signal;
    const results = await Promise.all(jobs.map((j) => answer(j.i, j.base, signal)));
    setBusy(false);
    setPanels((ps) => {
      const merged = ps.map((p, i) => results[jobs.findIndex((j) => j.i === i)] ?? p);
      persist(merged);
      return merged;
    });
  };

  const send = () => {
    const text = input.trim();
    if (!text || busy || !key) return;
    if (panels.some((p) => !p.model)) {
      message.warning(t('play.pickModels'));
      return;
    }
    setInput('');
    if (!title.current) title.current = text.slice(0, 80);
    void run(panels.map((p, i) => ({ i, base: { ...p, turns: [...p.turns, { role: 'user', content: text }] } })));
  };

  const regenerate = (i: number) => {
    const p = panels[i];
    void run([{ i, base: { ...p, turns: p.turns.slice(0, -1) } }]);
  };

  const newChat = () => {
    conversationId.current = newId();
    title.current = '';
    setPanels((ps) => ps.map((p) => ({ ...p, turns: [] })));
  };

  const usePasted = () => {
    const k = pasted.trim();
    if (!k.startsWith('sk-')) {
      message.error(t('play.keyInvalid'));
      return;
    }
    const stored = { id: `pasted-${newId()}`, name: t('play.pastedKey'), masked: maskKey(k), key: k, workspace: workspaceId };
    rememberKey(stored);
    setKeys(storedKeys(workspaceId));
    setKeyId(stored.id);
    setPasted('');
  };

  return (
    <div>
      <Typography.Title level={2} style={{ marginTop: 0 }}>
        {t('play.title')}
      </Typography.Title>
      <Space wrap style={{ marginBottom: 12 }}>
        <Select
          aria-label={t('play.apiKey')}
          data-testid="play-key"
          value={keyId || undefined}
          placeholder={t('play.apiKey')}
          onChange={setKeyId}
          style={{ minWidth: 220 }}
          options={keys.map((k) => ({ value: k.id, label: `${k.name} (${k.masked})` }))}
        />
        <Space.Compact>
          <Input.Password aria-label={t('play.pasteKey')} placeholder={t('play.pasteKey')} value={pasted} onChange={(e) => setPasted(e.target.value)} style={{ width: 200 }} />
          <Button onClick={usePasted}>{t('play.useKey')}</Button>
        </Space.Compact>
        <Button icon={<PlusOutlined />} data-testid="add-panel" disabled={panels.length >= MAX_PANELS || busy} onClick={() => setPanels((ps) => [...ps, newPanel()])}>
          {t('play.addModel')}
        </Button>
        <Button onClick={newChat} disabled={busy} data-testid="new-chat">
          {t('play.newChat')}
        </Button>
        <Button icon={<HistoryOutlined />} onClick={() => setHistoryOpen(true)} data-testid="open-history">
          {t('play.history')}
        </Button>
      </Space>
      {modelsError && <Alert type="warning" showIcon message={modelsError} style={{ marginBottom: 12 }} />}
      <Row gutter={[12, 12]}>
        {panels.map((p, i) => (
          <Col key={i} xs={24} lg={24 / panels.length}>
            <ChatPanel
              index={i}
              panel={p}
              models={models}
              busy={busy}
              canRemove={panels.length > 1}
              onChange={(np) => updatePanel(i, np)}
              onRegenerate={() => regenerate(i)}
              onRemove={() => setPanels((ps) => ps.filter((_, j) => j !== i))}
            />
          </Col>
        ))}
      </Row>
      <Space.Compact style={{ width: '100%', marginTop: 12 }}>
        <Input.TextArea
          aria-label={t('play.input')}
          data-testid="play-input"
          placeholder={t('play.input')}
          autoSize={{ minRows: 2, maxRows: 6 }}
          value={input}
          onChange={(e) => setInput(e.target.value)}
          onPressEnter={(e) => {
            if (!e.shiftKey) {
              e.preventDefault();
              send();
            }
          }}
        />
        {busy ? (
          <Button icon={<StopOutlined />} onClick={() => abort.current?.abort()} style={{ height: 'auto' }}>
            {t('play.stop')}
          </Button>
        ) : (
          <Button type="primary" icon={<SendOutlined />} data-testid="play-send" onClick={send} disabled={!key} style={{ height: 'auto' }}>
            {t('play.send')}
          </Button>
        )}
      </Space.Compact>
      <Drawer title={t('play.history')} open={historyOpen} onClose={() => setHistoryOpen(false)} width={Math.min(420, window.innerWidth)}>
        <Space style={{ marginBottom: 8 }}>
          <Typography.Text type="secondary">{t('play.historyCount', { n: history.length })}</Typography.Text>
          <Popconfirm title={t('play.clearHistoryConfirm')} onConfirm={() => { clearHistory(); setHistory([]); }} okText={t('common.ok')} cancelText={t('common.cancel')}>
            <Button size="small" danger disabled={history.length === 0}>
              {t('play.clearHistory')}
            </Button>
          </Popconfirm>
        </Space>
        <List
          dataSource={history}
          data-testid="history-list"
          renderItem={(c) => (
            <List.Item
              actions={[
                <Button key="del" type="link" size="small" danger onClick={() => setHistory(deleteConversation(c.id))}>
                  {t('common.delete')}
                </Button>,
              ]}
            >
              <List.Item.Meta
                title={
                  <a
                    onClick={() => {
                      conversationId.current = c.id;
                      title.current = c.title;
                      setPanels(c.panels);
                      setHistoryOpen(false);
                    }}
                  >
                    {c.title}
                  </a>
                }
                description={`${new Date(c.time).toLocaleString()} · ${c.panels.map((p) => p.model).join(', ')}`}
              />
            </List.Item>
          )}
        />
      </Drawer>
    </div>
  );
}
