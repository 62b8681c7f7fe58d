// The official openai npm client against a deployment served by `hydra
// serve`: a hydra-engine replica started by the local agent, reached
// through the gateway by its access name <workspace-slug>/<name>.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import OpenAI from 'openai';
import { adminSession, makeTestModel, scratchDir, startHydra } from './lib/hydra.js';

const dir = scratchDir();
const password = 'Node-Admin-Pw-1';
let hydra, client, access;
let deleted = false;

let api;  // the administrator's JSON calls (adminSession)

before(async () => {
  const model = makeTestModel(dir, 'tiny-qwen2', { template: 'Qwen-Qwen2.5-7B-Instruct.jinja' });
  process.env.HYDRA_ADMIN_PASSWORD = password;
  hydra = await startHydra(dir, (port) => ['serve', '--listen', `127.0.0.1:${port}`,
    '--data-dir', join(dir, 'data')], 'serve');
  ({ api } = await adminSession(hydra.baseUrl, password));
  const created = await api('POST', '/api/v1/deployments', { name: 'node-chat', model_path: model });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  access = created.body.access_name;
  const deadline = Date.now() + 20000;
  let state = '';
  while (Date.now() < deadline && state !== 'Running') {
    state = (await api('GET', '/api/v1/deployments/node-chat')).body.state;
    if (state !== 'Running') await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(state, 'Running');
  const key = await api('POST', '/api/v1/api-keys', { name: 'node' });
  client = new OpenAI({ baseURL: `${hydra.baseUrl}/v1`, apiKey: key.body.key, maxRetries: 0 });
});

after(async () => {
  // Replicas outlive the server by design: delete first so none is left behind.
  if (hydra && !deleted) {
    await api('DELETE', '/api/v1/deployments/node-chat');
    await new Promise((r) => setTimeout(r, 1000));
  }
  await hydra?.stop();
});

test('the deployment is listed among the key\'s models', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.ok(ids.includes(access), ids.join(','));
});

test('chat by access name, plain and streamed', async () => {
  const messages = [{ role: 'user', content: 'Name three colours.' }];
  const plain = await client.chat.completions.create({ model: access, messages, max_tokens: 6 });
  assert.equal(plain.choices.length, 1);
  assert.equal(typeof plain.choices[0].message.content, 'string');
  assert.ok(plain.usage.completion_tokens > 0);
  const stream = await client.chat.completions.create({ model: access, messages, max_tokens: 6,
    stream: true });
  let text = '';
  let chunks = 0;
  for await (const chunk of stream) {
    chunks += 1;
    text += chunk.choices[0]?.delta?.content ?? '';
  }
  assert.ok(chunks > 1);
  assert.ok(text.length > 0);
});

test('a deleted deployment answers 404 in the OpenAI error shape', async () => {
  const r = await api('DELETE', '/api/v1/deployments/node-chat');
  assert.equal(r.status, 204);
  deleted = true;
  await assert.rejects(
    client.chat.completions.create({ model: access, messages: [{ role: 'user', content: 'hi' }] }),
    (err) => {
      assert.ok(err instanceof OpenAI.NotFoundError, String(err));
      assert.equal(err.status, 404);
      assert.equal(typeof err.error?.message, 'string');
      assert.ok(err.error?.code);
      return true;
    });
});
