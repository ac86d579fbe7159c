// Real Python clients for end-to-end tests: python3 -m venv, pip, twine, python -m build.
// pip on these machines carries a global configuration (find-links, extra index URLs, a
// constraints file); every call here runs with PIP_CONFIG_FILE=/dev/null, no PIP_* variables
// and --isolated, so a test can only ever install from the pyvet server it names.
import { execFileSync, type ExecFileSyncOptions, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/** Environment without any PIP_* variable and with pip's config file disabled. */
export function cleanPipEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('PIP_') && !k.startsWith('PYTHON') && k !== 'VIRTUAL_ENV') env[k] = v;
  }
  return { ...env, PIP_CONFIG_FILE: '/dev/null', PIP_NO_INPUT: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1', ...extra };
}

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const out = r.stdout.trim();
  return r.status === 0 && out ? out : undefined;
}

/**
 * Says whether a real client is available. When it is not: under CI=true this throws (a missing
 * client is a broken CI, not a skip); otherwise it prints a loud banner and returns a skip reason.
 */
export function clientAvailable(name: 'venv' | 'twine' | 'build' | 'nginx' | 'wrk'): string | true {
  let ok = false;
  switch (name) {
    case 'venv':
      ok = spawnSync('python3', ['-c', 'import venv, ensurepip'], { stdio: 'ignore' }).status === 0;
      break;
    case 'twine':
      ok = which('twine') !== undefined;
      break;
    case 'build':
      ok = spawnSync(buildPython(), ['-m', 'build', '--version'], { stdio: 'ignore' }).status === 0;
      break;
    default:
      ok = which(name) !== undefined;
  }
  if (ok) return true;
  const msg = `real client '${name}' is missing: install it (see .ci/run) — its end-to-end tests are SKIPPED`;
  if (IN_CI) throw new Error(`CI=true and ${msg.replace(' — its end-to-end tests are SKIPPED', '')}`);
  process.stderr.write(`\n${'!'.repeat(78)}\n!!! ${msg}\n${'!'.repeat(78)}\n\n`);
  return msg;
}

export interface Venv {
  dir: string;
  python: string;
  /** Runs `python -m pip --isolated …` in the venv with a clean environment; returns stdout. */
  pip(args: string[], opts?: ExecFileSyncOptions): string;
  /** Runs pip and returns status, stdout and stderr without throwing. */
  pipResult(args: string[]): { status: number; stdout: string; stderr: string };
  /**
   * Like pipResult, without blocking the event loop: for a pyvet server (or upstream) that runs
   * inside the test process itself.
   */
  pipAsync(args: string[]): Promise<{ status: number; stdout: string; stderr: string }>;
  run(args: string[]): string;
}

/** A fresh virtual environment (python3 -m venv) in a temporary directory. */
export function makeVenv(dir = mkdtempSync(join(tmpdir(), 'pyvet-venv-'))): Venv {
  if (!existsSync(join(dir, 'bin', 'python'))) {
    execFileSync('python3', ['-m', 'venv', dir], { env: cleanPipEnv(), stdio: 'pipe' });
  }
  const python = join(dir, 'bin', 'python');
  const env = cleanPipEnv();
  return {
    dir,
    python,
    pip(args, opts = {}) {
      return execFileSync(python, ['-m', 'pip', '--isolated', ...args], {
        env,
        encoding: 'utf8',
        stdio: 'pipe',
        maxBuffer: 64 * 1024 * 1024,
        ...opts,
      }) as string;
    },
    pipResult(args) {
      const r = spawnSync(python, ['-m', 'pip', '--isolated', ...args], {
        env,
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    pipAsync(args) {
      const child = spawn(python, ['-m', 'pip', '--isolated', ...args], { env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      return new Promise((resolve) => child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr })));
    },
    run(args) {
      return execFileSync(python, args, { env, encoding: 'utf8', stdio: 'pipe' });
    },
  };
}

/** /opt/pypi/simple, a local PEP 503 tree of real PyPI projects, when this machine has it. */
export const LOCAL_PYPI = '/opt/pypi';
export function localPypiAvailable(): boolean {
  return existsSync(join(LOCAL_PYPI, 'simple')) && existsSync(join(LOCAL_PYPI, 'files'));
}

/**
 * The interpreter that has `build`, setuptools and wheel: Debian's python3-build is installed for
 * /usr/bin/python3, which may differ from the python3 first on PATH.
 */
export function buildPython(): string {
  for (const py of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(py, ['-m', 'build', '--version'], { stdio: 'ignore' }).status === 0) return py;
  }
  return '/usr/bin/python3';
}

export interface ProjectSpec {
  name: string;
  version: string;
  dependencies?: string[];
  requiresPython?: string;
  license?: string;
  /** Extra module source; a module named after the project is always written. */
  files?: Record<string, string>;
}

/**
 * Builds a real wheel and sdist of a tiny pure-Python project with `python -m build
 * --no-isolation` (no network: setuptools comes from the system). Returns their paths.
 */
export function buildProject(spec: ProjectSpec, outDir: string): { wheel: string; sdist: string } {
  const src = mkdtempSync(join(tmpdir(), 'pyvet-proj-'));
  const mod = spec.name.toLowerCase().replace(/[-.]+/g, '_');
  const deps = (spec.dependencies ?? []).map((d) => JSON.stringify(d)).join(', ');
  const lines = [
    '[build-system]',
    'requires = ["setuptools"]',
    'build-backend = "setuptools.build_meta"',
    '[project]',
    `name = ${JSON.stringify(spec.name)}`,
    `version = ${JSON.stringify(spec.version)}`,
    `dependencies = [${deps}]`,
    'description = "pyvet test project"',
  ];
  if (spec.requiresPython) lines.push(`requires-python = ${JSON.stringify(spec.requiresPython)}`);
  if (spec.license) lines.push(`license = {text = ${JSON.stringify(spec.license)}}`);
  lines.push('[tool.setuptools]', `py-modules = [${JSON.stringify(mod)}]`);
  writeFileSync(join(src, 'pyproject.toml'), `${lines.join('\n')}\n`);
  writeFileSync(join(src, `${mod}.py`), `VERSION = ${JSON.stringify(spec.version)}\n`);
  for (const [p, text] of Object.entries(spec.files ?? {})) writeFileSync(join(src, p), text);
  mkdirSync(outDir, { recursive: true });
  execFileSync(buildPython(), ['-m', 'build', '--no-isolation', '--outdir', outDir, src], {
    env: cleanPipEnv(),
    stdio: 'pipe',
  });
  const stem = `${mod}-${spec.version}`;
  const found = readdirSync(outDir);
  const wheel = found.find((f) => f.startsWith(`${stem}-`) && f.endsWith('.whl'));
  // Older setuptools keep the name as written in the sdist's filename ('alpha-pkg-1.0.tar.gz').
  const sdistNames = [stem, `${spec.name}-${spec.version}`].map((n) => `${n}.tar.gz`.toLowerCase());
  const sdist = found.find((f) => sdistNames.includes(f.toLowerCase()));
  if (!wheel || !sdist) throw new Error(`build produced ${found.join(', ')}`);
  return { wheel: join(outDir, wheel), sdist: join(outDir, sdist) };
}
