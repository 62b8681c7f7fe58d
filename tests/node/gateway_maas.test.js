// The official openai npm client through `hydra serve`'s gateway to a MaaS
// route: `public/<id>` registered through the admin API and pointing at the
// fake OpenAI-compatible upstream (tests/fake_upstream). Its answers are
// deterministic (token i is "t<i> ", embedding element d of input i is
// ((i + d) % 7) / 7), so every assertion here fails if the gateway dropped,
// reordered or rewrote what it should not. Errors must come back typed, in
// the DESIGN.md §4 shape: a bad key and a key over its rate limit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import OpenAI from 'openai';
import { adminSession, scratchDir, startFakeUpstream, startHydra } from './lib/hydra.js';

const dir = scratchDir();
const password = 'Node-Admin-Pw-1';
const model = 'public/node-maas';
const upstreamModel = 'fake-upstream-model';
let hydra, upstream, client;

let api;  // the administrator's JSON calls (adminSession)

async function newKey(name) {
  const k = await api('POST', '/api/v1/api-keys', { name });
  assert.equal(k.status, 201, JSON.stringify(k.body));
  return k.body;
}

function openai(apiKey) {
  return new OpenAI({ baseURL: `${hydra.baseUrl}/v1`, apiKey, maxRetries: 0 });
}

async function modelIds(c) {
  const ids = [];
  for await (const m of c.models.list()) ids.push(m.id);
  return ids;
}

before(async () => {
  upstream = await startFakeUpstream(dir);
  process.env.HYDRA_ADMIN_PASSWORD = password;
  hydra = await startHydra(dir, (port) => ['serve', '--listen', `127.0.0.1:${port}`,
    '--data-dir', join(dir, 'data')], 'serve');
  ({ api } = await adminSession(hydra.baseUrl, password));
  const created = await api('POST', '/api/v1/maas-models', {
    id: 'node-maas',
    enabled: true,
    endpoints: [{ base_url: upstream.baseUrl, model: upstreamModel, api_key: 'sk-upstream-node' }],
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  client = openai((await newKey('node-maas')).key);
  // The route table takes the new model on its next refresh.
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline && !(await modelIds(client)).includes(model)) {
    await new Promise((r) => setTimeout(r, 50));
  }
});

after(async () => {
  await hydra?.stop();
  await upstream?.stop();
});

test('the MaaS model is listed among the key\'s models', async () => {
  const ids = await modelIds(client);
  assert.ok(ids.includes(model), ids.join(','));
});

test('chat, plain: the upstream\'s answer and usage come through', async () => {
  const r = await client.chat.completions.create({
    model, messages: [{ role: 'user', content: 'three words here' }], max_tokens: 3,
  });
  assert.equal(r.object, 'chat.completion');
  // The upstream echoes the model it was asked for: the gateway rewrote it.
  assert.equal(r.model, upstreamModel);
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.content, 't0 t1 t2 ');
  assert.equal(r.choices[0].finish_reason, 'length');
  // One token per word, the role counting as one: "user" + three words.
  assert.equal(r.usage.prompt_tokens, 4);
  assert.equal(r.usage.completion_tokens, 3);
  assert.equal(r.usage.total_tokens, 7);
});

test('chat, streamed: every chunk in order, the added usage chunk removed', async () => {
  const stream = await client.chat.completions.create({
    model, messages: [{ role: 'user', content: 'stream please' }], max_tokens: 5, stream: true,
  });
  let text = '';
  let contentChunks = 0;
  let finish = null;
  for await (const chunk of stream) {
    // The client did not ask for usage: the gateway asked for it and must strip it.
    assert.equal(chunk.usage ?? null, null, JSON.stringify(chunk));
    assert.equal(chunk.object, 'chat.completion.chunk');
    const choice = chunk.choices[0];
    if (choice?.delta?.content) {
      contentChunks += 1;
      text += choice.delta.content;
    }
    if (choice?.finish_reason) finish = choice.finish_reason;
  }
  assert.equal(text, 't0 t1 t2 t3 t4 ');
  assert.equal(contentChunks, 5);
  assert.equal(finish, 'length');
});

test('chat, streamed with include_usage: the usage chunk reaches the client', async () => {
  const stream = await client.chat.completions.create({
    model, messages: [{ role: 'user', content: 'count me' }], max_tokens: 2, stream: true,
    stream_options: { include_usage: true },
  });
  let usage = null;
  for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
  assert.deepEqual(
    { prompt: usage?.prompt_tokens, completion: usage?.completion_tokens },
    { prompt: 3, completion: 2 });
});

test('completions', async () => {
  const r = await client.completions.create({ model, prompt: 'once upon a time', max_tokens: 4 });
  assert.equal(r.object, 'text_completion');
  assert.equal(r.choices[0].text, 't0 t1 t2 t3 ');
  assert.equal(r.usage.prompt_tokens, 4);
  assert.equal(r.usage.completion_tokens, 4);
});

test('embeddings, in the SDK\'s default base64 and as floats', async () => {
  const expected = (i) => Array.from({ length: 8 }, (_, d) => ((i + d) % 7) / 7);
  const close = (got, want) => {
    assert.equal(got.length, want.length);
    got.forEach((x, d) => assert.ok(Math.abs(x - want[d]) < 1e-6, `element ${d}: ${x} vs ${want[d]}`));
  };
  // No encoding_format: the SDK asks for base64 and decodes it itself.
  const packed = await client.embeddings.create({ model, input: ['hello world', 'bye'] });
  assert.equal(packed.data.length, 2);
  packed.data.forEach((e, i) => {
    assert.equal(e.index, i);
    close(e.embedding, expected(i));
  });
  assert.equal(packed.usage.prompt_tokens, 3);
  const floats = await client.embeddings.create({ model, input: 'one two', encoding_format: 'float' });
  close(floats.data[0].embedding, expected(0));
  assert.equal(floats.usage.prompt_tokens, 2);
});

test('a bad key is an AuthenticationError with code 500004', async () => {
  const stranger = openai('sk-not-a-key-of-this-server-000000000000');
  await assert.rejects(
    stranger.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }),
    (err) => {
      assert.ok(err instanceof OpenAI.AuthenticationError, String(err));
      assert.equal(err.status, 401);
      assert.equal(err.code, '500004');
      assert.equal(err.error?.code, '500004');
      assert.equal(err.type, 'INCORRECT_API_KEY_PROVIDED');
      assert.equal(typeof err.error?.message, 'string');
      assert.ok(err.error.message.length > 0);
      return true;
    });
  await assert.rejects(modelIds(stranger), (err) => err instanceof OpenAI.AuthenticationError);
});

test('a key over its rate limit gets a RateLimitError with code 700001', async () => {
  const limited = await newKey('node-limited');
  const rule = await api('POST', '/api/v1/limits', {
    scope: 'key', metric: 'requests', key_id: limited.id, limit: 1, window_seconds: 60,
  });
  assert.equal(rule.status, 201, JSON.stringify(rule.body));
  const c = openai(limited.key);
  const ask = () => c.chat.completions.create({
    model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1,
  });
  // Rules are reloaded about once a second: ask until the limit bites. With
  // one request per minute that takes a couple of answers once it is loaded.
  let refused = null;
  let admitted = 0;
  const deadline = Date.now() + 15000;
  while (!refused && Date.now() < deadline) {
    try {
      await ask();
      admitted += 1;
    } catch (err) {
      refused = err;
    }
    if (!refused) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(refused, `no request was refused after ${admitted} admitted`);
  assert.ok(admitted >= 1, 'the first request of the window is admitted');
  assert.ok(refused instanceof OpenAI.RateLimitError, String(refused));
  assert.equal(refused.status, 429);
  assert.equal(refused.code, '700001');
  assert.equal(refused.error?.code, '700001');
  assert.equal(refused.type, 'AK_RPM_RATELIMITING');
  assert.equal(refused.headers.get('x-ratelimit-limit-requests'), '1');
  assert.equal(refused.headers.get('x-ratelimit-remaining-requests'), '0');
  assert.ok(Number(refused.headers.get('retry-after')) > 0);
  // The rule is the limited key's only: the other key still gets answers.
  const other = await client.chat.completions.create({
    model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1,
  });
  assert.equal(other.choices[0].message.content, 't0 ');
});
