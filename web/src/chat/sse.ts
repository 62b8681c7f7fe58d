// Streams one chat completion from the OpenAI-compatible gateway (/v1) with
// fetch, reading server-sent events as they arrive. Reports text as it
// grows, then the usage, the latency and the time to the first token.
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatSettings {
  system: string;
  temperature: number;
  top_p: number;
  max_tokens: number; // 0: no limit sent
  frequency_penalty: number;
}

export const defaultSettings: ChatSettings = { system: '', temperature: 0.7, top_p: 1, max_tokens: 0, frequency_penalty: 0 };

export interface ChatResult {
  content: string;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  latency_ms: number;
  first_token_ms: number | null;
  error: string;
}

// Splits a growing text buffer into complete SSE events; returns the rest.
export function takeEvents(buffer: string, onData: (data: string) => void): string {
  const normalised = buffer.replace(/\r\n/g, '\n');
  const parts = normalised.split('\n\n');
  const rest = parts.pop() ?? '';
  for (const event of parts) {
    const data = event
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).replace(/^ /, ''))
      .join('\n');
    if (data) onData(data);
  }
  return rest;
}

export function requestBody(model: string, settings: ChatSettings, history: ChatMessage[]) {
  const messages: ChatMessage[] = settings.system.trim() ? [{ role: 'system', content: settings.system }, ...history] : history;
  return {
    model,
    messages,
    stream: true,
    stream_options: { include_usage: true },
    temperature: settings.temperature,
    top_p: settings.top_p,
    frequency_penalty: settings.frequency_penalty,
    ...(settings.max_tokens > 0 ? { max_tokens: settings.max_tokens } : {}),
  };
}

export async function streamChat(
  apiKey: string,
  body: ReturnType<typeof requestBody>,
  signal: AbortSignal,
  onText: (text: string) => void,
): Promise<ChatResult> {
  const started = performance.now();
  const result: ChatResult = { content: '', prompt_tokens: null, completion_tokens: null, latency_ms: 0, first_token_ms: null, error: '' };
  try {
    const resp = await fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${apiKey}` },
      body: JSON.stringify(body),
      signal,
    });
    if (!resp.ok || !resp.body) {
      let message = `${resp.status} ${resp.statusText}`;
      try {
        const e = await resp.json();
        message = e?.error?.message ?? message;
      } catch {
        // keep the status line
      }
      result.error = message;
      return result;
    }
    const reader = resp.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const onData = (data: string) => {
      if (data === '[DONE]') return;
      let chunk: {
        choices?: { delta?: { content?: string } }[];
        usage?: { prompt_tokens: number; completion_tokens: number } | null;
        error?: { message?: string };
      };
      try {
        chunk = JSON.parse(data);
      } catch {
        return;
      }
      if (chunk.error) result.error = chunk.error.message ?? 'error';
      const piece = chunk.choices?.[0]?.delta?.content ?? '';
      if (piece) {
        if (result.first_token_ms === null) result.first_token_ms = Math.round(performance.now() - started);
        result.content += piece;
        onText(result.content);
      }
      if (chunk.usage) {
        result.prompt_tokens = chunk.usage.prompt_tokens;
        result.completion_tokens = chunk.usage.completion_tokens;
      }
    };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer = takeEvents(buffer + decoder.decode(value, { stream: true }), onData);
    }
    takeEvents(buffer + '\n\n', onData);
  } catch (e) {
    result.error = e instanceof DOMException && e.name === 'AbortError' ? 'aborted' : String(e);
  }
  result.latency_ms = Math.round(performance.now() - started);
  return result;
}
