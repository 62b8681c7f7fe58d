// Shared helpers for tests that drive real hydra processes with npm clients:
// where the binaries and test data are, free loopback ports, child processes
// that are stopped when the test ends, and waiting for /health.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hydraBinary = () => mustEnv('HYDRA_BINARY');
export const testdataDir = () => mustEnv('HYDRA_TESTDATA_DIR');
export const fakeUpstreamBinary = () => mustEnv('FAKE_UPSTREAM_BINARY');

function mustEnv(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} must be set (ctest sets it)`);
  return v;
}

// A scratch directory removed when the process exits.
export function scratchDir(prefix = 'hydra-node-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// A port nobody listens on right now.
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Runs `hydra <args>` to completion (throws on a non-zero exit).
export function runHydra(args) {
  return execFileSync(hydraBinary(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// `hydra engine make-test-model` with a vocabulary from the test data.
export function makeTestModel(dir, name, { arch = 'qwen2', vocab = 'gpt-2', template, extra = [] } = {}) {
  const out = join(dir, `${name}.gguf`);
  const args = ['engine', 'make-test-model', '--arch', arch, '--vocab',
    join(testdataDir(), 'vocab', `ggml-vocab-${vocab}.gguf`), '--layers', '1', '--hidden', '32',
    '--heads', '2', '--seed', '7', '-o', out, ...extra];
  if (template) args.push('--chat-template', join(testdataDir(), 'chat-templates', template));
  runHydra(args);
  return out;
}

export async function waitForHealth(baseUrl, child, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`hydra exited with ${child.exitCode} before it was healthy`);
    try {
      const r = await fetch(`${baseUrl}/health`);
      if (r.status === 200) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${baseUrl}/health not ready after ${timeoutMs} ms`);
}

// Starts `hydra <args>` (args may use the chosen port through a function),
// waits for /health, and returns {baseUrl, port, child, stop()}. Output goes
// to a log file in `dir`, printed if the process dies unexpectedly.
export async function startHydra(dir, makeArgs, name = 'hydra') {
  const port = await freePort();
  const log = join(dir, `${name}-${port}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(hydraBinary(), makeArgs(port), { stdio: ['ignore', fd, fd] });
  const stopOnExit = () => { if (child.exitCode === null) child.kill('SIGKILL'); };
  process.on('exit', stopOnExit);
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHealth(baseUrl, child);
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', (code) => { clearTimeout(timer); resolve(code); });
    child.kill('SIGTERM');
  });
  return { baseUrl, port, child, log, stop };
}

// `hydra engine serve` for one model file.
export function startEngine(dir, model, servedName) {
  return startHydra(dir, (port) => ['engine', 'serve', '--model', model, '--port', String(port),
    '--served-model-name', servedName, '--no-access-log'], servedName);
}

// The fake OpenAI-compatible upstream (tests/fake_upstream) on a port of its
// own choosing, which it writes to a file once it listens. `args` are its
// flags (see its --help). Returns {baseUrl (…/v1), port, child, stop()}.
export async function startFakeUpstream(dir, args = [], timeoutMs = 10000) {
  const portFile = join(dir, `fake-upstream-${Date.now()}-${Math.random().toString(16).slice(2)}.port`);
  const fd = openSync(`${portFile}.log`, 'a');
  const child = spawn(fakeUpstreamBinary(), ['--port', '0', '--port-file', portFile, ...args],
    { stdio: ['ignore', fd, fd] });
  process.on('exit', () => { if (child.exitCode === null) child.kill('SIGKILL'); });
  const deadline = Date.now() + timeoutMs;
  let port = 0;
  while (!port && Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`fake_upstream exited with ${child.exitCode}`);
    try { port = Number.parseInt(readFileSync(portFile, 'utf8'), 10) || 0; } catch { /* not yet */ }
    if (!port) await new Promise((r) => setTimeout(r, 20));
  }
  if (!port) throw new Error(`fake_upstream wrote no port in ${timeoutMs} ms`);
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', resolve);
    child.kill('SIGKILL');
  });
  return { baseUrl: `http://127.0.0.1:${port}/v1`, port, child, stop };
}

// Logs in as the administrator; `api` sends JSON with that session and
// answers { status, body } (body parsed, null when empty).
export async function adminSession(baseUrl, password, name = 'admin') {
  const login = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST', body: JSON.stringify({ name, password }),
  });
  const { token } = await login.json();
  async function api(method, path, body) {
    const r = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  }
  return { token, api };
}
