// Shared pieces of the browser tests: a real `hydra serve` on a loopback
// port with a fresh data directory, a tiny OpenAI-compatible upstream, a
// loopback file server for the ModelHub test data, and headless Chromium
// (Debian's) kept off the network.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const webDir = path.join(root, 'web');
const requireWeb = createRequire(path.join(webDir, 'package.json'));
export const { chromium } = requireWeb('playwright-core');
export const axeSource = fs.readFileSync(requireWeb.resolve('axe-core/axe.min.js'), 'utf8');
export const testdata = process.env.HYDRA_TESTDATA_DIR ?? path.resolve(root, '../shared/testdata');
export const hydraBinary = path.resolve(root, process.env.HYDRA_BINARY ?? 'build/bin/hydra');
export const ADMIN_PASSWORD = 'admin-password-e2e';

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = http.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url, child, log, ms = 20000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`hydra exited early:\n${log()}`);
    try {
      const r = await fetch(`${url}/health`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`hydra did not become healthy:\n${log()}`);
}

export async function startHydra() {
  if (!fs.existsSync(hydraBinary)) throw new Error(`no hydra binary at ${hydraBinary}; build first`);
  if (!fs.existsSync(path.join(webDir, 'dist/index.html'))) throw new Error('web/dist is not built; run scripts/build-web.sh');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hydra-e2e-'));
  const port = await freePort();
  let output = '';
  const child = spawn(hydraBinary, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--web-dir', path.join(webDir, 'dist')], {
    env: { ...process.env, HYDRA_ADMIN_PASSWORD: ADMIN_PASSWORD, HYDRA_ACCESS_LOG: 'false', HYDRA_SQLITE_SYNCHRONOUS: 'NORMAL' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(url, child, () => output);
  return {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// A 2×2 PNG, what the upstream answers image requests with.
export const tinyPng = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGM4IScHRAwQCgAfJgQRoo8irwAAAABJRU5ErkJggg==';

// A small OpenAI-compatible upstream: streams a short answer word by word
// (with pauses, so streaming is visible), echoing the model, the
// temperature and how many messages it was sent; reports usage when asked.
// Image requests are kept in `images` and answered with n tiny PNGs.
export async function startUpstream() {
  const requests = [];
  const images = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      if (req.method === 'GET' && req.url.endsWith('/models')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'tiny-a', object: 'model' }, { id: 'tiny-b', object: 'model' }] }));
        return;
      }
      if (req.method === 'POST' && req.url.endsWith('/images/generations')) {
        const r = JSON.parse(body);
        images.push(r);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ created: Math.floor(Date.now() / 1000), data: Array.from({ length: r.n ?? 1 }, () => ({ b64_json: tinyPng })) }));
        return;
      }
      if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
        res.writeHead(404).end();
        return;
      }
      const r = JSON.parse(body);
      requests.push(r);
      const words = `Hello from ${r.model} at temperature ${r.temperature} after ${r.messages.length} messages .`.split(' ');
      const prompt = r.messages.map((m) => m.content).join(' ').split(/\s+/).length;
      const usage = { prompt_tokens: prompt, completion_tokens: words.length, total_tokens: prompt + words.length };
      const id = `chatcmpl-${requests.length}`;
      if (!r.stream) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ id, object: 'chat.completion', model: r.model, choices: [{ index: 0, message: { role: 'assistant', content: words.join(' ') }, finish_reason: 'stop' }], usage }));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      const send = (o) => res.write(`data: ${JSON.stringify(o)}\n\n`);
      for (let i = 0; i < words.length; i++) {
        send({ id, object: 'chat.completion.chunk', model: r.model, choices: [{ index: 0, delta: { content: (i ? ' ' : '') + words[i] }, finish_reason: null }] });
        await new Promise((d) => setTimeout(d, 40));
      }
      send({ id, object: 'chat.completion.chunk', model: r.model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
      if (r.stream_options?.include_usage) send({ id, object: 'chat.completion.chunk', model: r.model, choices: [], usage });
      res.end('data: [DONE]\n\n');
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/v1`, requests, images, stop: () => new Promise((r) => server.close(r)) };
}

// Serves the ModelHub test data, plus /index.yaml: every metadata.yaml
// merged into one multi-document stream.
export async function startModelHub() {
  const dir = path.join(testdata, 'modelhub');
  const files = [];
  for (const vendor of fs.readdirSync(dir).sort()) {
    const vdir = path.join(dir, vendor);
    if (!fs.statSync(vdir).isDirectory()) continue;
    for (const model of fs.readdirSync(vdir).sort()) {
      const f = path.join(vdir, model, 'metadata.yaml');
      if (fs.existsSync(f)) files.push(f);
    }
  }
  const index = files.map((f) => fs.readFileSync(f, 'utf8')).join('\n---\n');
  const server = http.createServer((req, res) => {
    if (req.url === '/index.yaml') {
      res.writeHead(200, { 'Content-Type': 'application/yaml' });
      res.end(index);
      return;
    }
    res.writeHead(404).end();
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/index.yaml`, count: files.length, stop: () => new Promise((r) => server.close(r)) };
}

// Chromium with its background services off and every host name other than
// loopback unresolvable; requests to other hosts (model icons on the public
// web) are answered locally by the test instead.
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.HYDRA_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-default-apps',
      '--disable-extensions',
      '--disable-sync',
      '--disable-domain-reliability',
      '--disable-client-side-phishing-detection',
      '--metrics-recording-only',
      '--no-first-run',
      '--no-pings',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
}

const iconSvg = '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="#888"/></svg>';

// With stubIcons false, outside images fail and the console's own fallback
// (the provider's initial) shows, as for a server without internet access.
export async function newContext(browser, viewport = { width: 1280, height: 800 }, stubIcons = true) {
  // Reduced motion: the console then skips its animations, so a dialog that
  // closed is gone at once instead of after a transition a busy machine may delay.
  const context = await browser.newContext({ viewport, locale: 'en-US', reducedMotion: 'reduce' });
  await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) =>
    stubIcons && route.request().resourceType() === 'image' ? route.fulfill({ status: 200, contentType: 'image/svg+xml', body: iconSvg }) : route.abort(),
  );
  return context;
}

// Collects console errors and uncaught exceptions of a page.
export function watchErrors(page) {
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

export async function login(page, url, name, password) {
  await page.goto(`${url}/`);
  await page.getByLabel(/User name|用户名/).fill(name);
  await page.getByLabel(/^Password$|^密码$/).fill(password);
  await page.getByRole('button', { name: /Log in|登录/ }).click();
  await page.getByTestId('user-menu').waitFor();
}

// Management API calls from the test itself (setup and checks).
export async function apiLogin(url, name, password) {
  const r = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name, password }) });
  if (!r.ok) throw new Error(`login ${r.status}`);
  return (await r.json()).token;
}

export async function apiCall(url, token, method, p, body) {
  const r = await fetch(`${url}/api/v1${p}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
