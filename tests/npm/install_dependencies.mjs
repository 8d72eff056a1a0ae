// Installs the npm dependencies of a test folder (package.json + committed package-lock.json) into
// a folder of the build tree with `npm ci`, once per lockfile content. A failed install throws: a
// test that needs these packages never passes without them.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function installDependencies(packageDir, depsDir) {
  const lock = fs.readFileSync(path.join(packageDir, 'package-lock.json'));
  const digest = createHash('sha256').update(lock).digest('hex');
  const stamp = path.join(depsDir, 'node_modules', '.gatehouse-lock-sha256');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === digest) return;
  fs.mkdirSync(depsDir, { recursive: true });
  if (path.resolve(depsDir) !== path.resolve(packageDir)) {
    fs.copyFileSync(path.join(packageDir, 'package.json'), path.join(depsDir, 'package.json'));
    fs.copyFileSync(path.join(packageDir, 'package-lock.json'), path.join(depsDir, 'package-lock.json'));
  }
  try {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'],
                 { cwd: depsDir, stdio: 'inherit' });
  } catch (error) {
    throw new Error(`npm ci in ${depsDir} failed (is the npm registry reachable?): ${error.message}`);
  }
  fs.writeFileSync(stamp, digest);
}
