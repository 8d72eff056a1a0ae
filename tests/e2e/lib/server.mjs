// Starts `gatehouse serve` (and, when asked, `gatehouse-agent`) as real processes on loopback for
// the end-to-end tests, and stops them. The server listens on port 0; its first stdout lines say
// the URL it got and the secrets it shows once (bootstrap admin client, demo user).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function temporaryFolder(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `gatehouse-e2e-${prefix}-`));
}

// Resolves with the process once `ready` matches its stdout (at once when `ready` is null);
// rejects when it exits first or after `timeoutMs`. What it prints is kept for failure messages.
function startProcess(command, args, { ready, timeoutMs = 20000, env = {} }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const state = { child, stdout: '', stderr: '' };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} not ready after ${timeoutMs} ms\nstdout:\n${state.stdout}\nstderr:\n${state.stderr}`));
    }, timeoutMs);
    let resolved = false;
    child.stdout.on('data', (chunk) => {
      state.stdout += chunk;
      if (!resolved && ready.test(state.stdout)) {
        resolved = true;
        clearTimeout(timer);
        resolve(state);
      }
    });
    child.stderr.on('data', (chunk) => { state.stderr += chunk; });
    if (ready === null) {
      resolved = true;
      clearTimeout(timer);
      resolve(state);
    }
    child.on('exit', (code) => {
      if (!resolved) {
        clearTimeout(timer);
        reject(new Error(`${command} exited with ${code}\nstdout:\n${state.stdout}\nstderr:\n${state.stderr}`));
      }
    });
  });
}

async function stopProcess(child) {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

// Starts `gatehouse serve --demo` on a fresh (or given) data folder.
export async function startServer({ binary, dataDir = temporaryFolder('data'), extraArgs = [] }) {
  const state = await startProcess(binary, ['serve', '--demo', '--listen', '127.0.0.1:0',
                                            '--data-dir', dataDir, ...extraArgs],
                                   { ready: /Gatehouse is serving on (\S+)[\s\S]*stop:/ });
  const url = /Gatehouse is serving on (\S+)/.exec(state.stdout)[1];
  const secret = /its secret, shown once[^\n]*\n\s*(\S+)/.exec(state.stdout);
  return {
    url,
    dataDir,
    stdout: () => state.stdout,
    stderr: () => state.stderr,
    bootstrapSecret: secret ? secret[1] : null,
    stop: () => stopProcess(state.child),
  };
}

export async function runCommand(binary, args, { env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export { startProcess, stopProcess };
