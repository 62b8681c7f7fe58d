// The official openai npm client against `hydra engine serve` over two
// random-weight test models with real vocabularies: a Qwen2 decoder with
// the Qwen2.5 chat template, and a BERT encoder for embeddings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { makeTestModel, scratchDir, startEngine } from './lib/hydra.js';

const dir = scratchDir();
let chatEngine, bertEngine, client, bert;

before(async () => {
  const decoder = makeTestModel(dir, 'tiny-qwen2', { template: 'Qwen-Qwen2.5-7B-Instruct.jinja' });
  const encoder = makeTestModel(dir, 'tiny-bert', { arch: 'bert', vocab: 'bert-bge' });
  [chatEngine, bertEngine] = await Promise.all([
    startEngine(dir, decoder, 'tiny-qwen2'), startEngine(dir, encoder, 'tiny-bert')]);
  client = new OpenAI({ baseURL: `${chatEngine.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
  bert = new OpenAI({ baseURL: `${bertEngine.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
});

after(async () => {
  await Promise.all([chatEngine?.stop(), bertEngine?.stop()]);
});

const messages = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Name three colours.' },
];
// Greedy, and long enough that the random model does not stop at once.
const greedy = { model: 'tiny-qwen2', messages, temperature: 0, max_tokens: 12, ignore_eos: true };

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather of a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
      required: ['city', 'unit'],
    },
  },
};

test('models list the served model', async () => {
  const page = await client.models.list();
  const ids = page.data.map((m) => m.id);
  assert.deepEqual(ids, ['tiny-qwen2']);
  assert.equal(page.data[0].object, 'model');
});

test('plain chat: content and exact usage', async () => {
  const r = await client.chat.completions.create(greedy);
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.model, 'tiny-qwen2');
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.equal(typeof r.choices[0].message.content, 'string');
  assert.ok(r.choices[0].message.content.length > 0);
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 12);
  assert.ok(r.usage.prompt_tokens > 10, 'the templated prompt is counted');
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + 12);
});

test('streamed chat equals the plain answer; include_usage closes the stream', async () => {
  const plain = await client.chat.completions.create(greedy);
  const stream = await client.chat.completions.create({
    ...greedy, stream: true, stream_options: { include_usage: true } });
  let text = '';
  let chunks = 0;
  let usage = null;
  let finish = null;
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    chunks += 1;
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      text += c.delta.content ?? '';
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  assert.ok(chunks >= 4, `tokens arrive in several chunks (${chunks})`);
  assert.equal(text, plain.choices[0].message.content);
  assert.equal(finish, 'length');
  assert.deepEqual(usage, plain.usage);
});

test('continuous usage stats: every chunk has the usage so far', async () => {
  const stream = await client.chat.completions.create({
    ...greedy, stream: true, stream_options: { include_usage: true, continuous_usage_stats: true } });
  let last = -1;
  for await (const chunk of stream) {
    assert.ok(chunk.usage, 'usage in every chunk');
    assert.ok(chunk.usage.completion_tokens >= last);
    last = chunk.usage.completion_tokens;
  }
  assert.equal(last, 12);
});

test('JSON mode always parses', async () => {
  for (const seed of [1, 2, 3]) {
    const r = await client.chat.completions.create({
      model: 'tiny-qwen2', messages, temperature: 1, seed, max_tokens: 40,
      response_format: { type: 'json_object' } });
    const value = JSON.parse(r.choices[0].message.content);
    assert.equal(typeof value, 'object');
    assert.ok(value !== null && !Array.isArray(value));
  }
});

test('json_schema response format validates', async () => {
  const r = await client.chat.completions.create({
    model: 'tiny-qwen2', messages, temperature: 1, seed: 4, max_tokens: 60,
    response_format: {
      type: 'json_schema',
      json_schema: {
        name: 'palette', strict: true,
        schema: {
          type: 'object',
          properties: { colours: { type: 'array', items: { enum: ['red', 'green', 'blue'] } },
            count: { type: 'integer' } },
          required: ['colours', 'count'], additionalProperties: false,
        },
      },
    } });
  const value = JSON.parse(r.choices[0].message.content);
  assert.deepEqual(Object.keys(value), ['colours', 'count']);
  assert.ok(Number.isInteger(value.count));
  for (const c of value.colours) assert.ok(['red', 'green', 'blue'].includes(c));
});

test('tools: a forced call comes back as tool_calls, plain and streamed', async () => {
  const request = {
    model: 'tiny-qwen2', temperature: 0, max_tokens: 80,
    messages: [{ role: 'user', content: 'Weather in Paris?' }],
    tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'get_weather' } },
  };
  const r = await client.chat.completions.create(request);
  const choice = r.choices[0];
  assert.equal(choice.finish_reason, 'tool_calls');
  assert.equal(choice.message.tool_calls.length, 1);
  const call = choice.message.tool_calls[0];
  assert.match(call.id, /^call_/);
  assert.equal(call.type, 'function');
  assert.equal(call.function.name, 'get_weather');
  const args = JSON.parse(call.function.arguments);
  assert.equal(typeof args.city, 'string');
  assert.ok(['c', 'f'].includes(args.unit));

  // The SDK's stream helper assembles the tool-call deltas.
  const stream = client.chat.completions.stream(request);
  let fragments = 0;
  stream.on('chunk', (chunk) => {
    const tc = chunk.choices[0]?.delta?.tool_calls?.[0];
    if (tc?.function?.arguments) fragments += 1;
  });
  const final = await stream.finalChatCompletion();
  const streamed = final.choices[0].message.tool_calls[0];
  assert.equal(final.choices[0].finish_reason, 'tool_calls');
  assert.equal(streamed.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(streamed.function.arguments), args);
  assert.ok(fragments >= 2, `arguments stream in fragments (${fragments})`);
});

test('tools offered but not forced: an ordinary answer', async () => {
  const r = await client.chat.completions.create({ ...greedy, tools: [weatherTool] });
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(typeof r.choices[0].message.content, 'string');
});

test('n choices and logprobs', async () => {
  const r = await client.chat.completions.create({
    ...greedy, temperature: 1, seed: 9, n: 2, logprobs: true, top_logprobs: 2 });
  assert.deepEqual(r.choices.map((c) => c.index), [0, 1]);
  for (const c of r.choices) {
    assert.equal(c.logprobs.content.length, 12);
    for (const t of c.logprobs.content) {
      assert.ok(t.logprob <= 0);
      assert.equal(t.top_logprobs.length, 2);
    }
  }
  assert.equal(r.usage.completion_tokens, 24);
});

test('text completions', async () => {
  const r = await client.completions.create({
    model: 'tiny-qwen2', prompt: 'The capital of France is', max_tokens: 6, temperature: 0,
    ignore_eos: true });
  assert.equal(r.object, 'text_completion');
  assert.equal(typeof r.choices[0].text, 'string');
  assert.ok(r.choices[0].text.length > 0);
  assert.equal(r.usage.completion_tokens, 6);
});

test('embeddings from the encoder are unit vectors', async () => {
  const r = await bert.embeddings.create({ model: 'tiny-bert', input: ['hello world', 'goodbye'] });
  assert.equal(r.data.length, 2);
  for (const d of r.data) {
    assert.equal(d.embedding.length, 32);
    const norm = Math.sqrt(d.embedding.reduce((s, x) => s + x * x, 0));
    assert.ok(Math.abs(norm - 1) < 1e-4, `norm ${norm}`);
  }
  assert.notDeepEqual(r.data[0].embedding, r.data[1].embedding);
  assert.ok(r.usage.prompt_tokens >= 4);
});

test('bad input is a typed error with the OpenAI body', async () => {
  await assert.rejects(
    client.chat.completions.create({ ...greedy, temperature: 500 }),
    (err) => {
      assert.ok(err instanceof OpenAI.BadRequestError, `got ${err?.constructor?.name}`);
      assert.equal(err.status, 400);
      assert.equal(err.param, 'temperature');
      assert.match(err.message, /temperature/);
      return true;
    });
  await assert.rejects(
    client.chat.completions.create({ ...greedy, model: 'no-such-model' }),
    (err) => err instanceof OpenAI.NotFoundError && err.status === 404);
  await assert.rejects(
    client.chat.completions.create({ ...greedy, tools: [weatherTool],
      tool_choice: { type: 'function', function: { name: 'missing' } } }),
    (err) => err instanceof OpenAI.BadRequestError && err.param === 'tool_choice');
});
