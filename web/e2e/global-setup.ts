import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PASSWORD, USERS } from "./fixtures";

// A real workchat server on a fresh SQLite database, with alice (admin) and bob (member).
const ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");
const WORKCHAT = join(ROOT, ".venv/bin/workchat");

export default async function globalSetup(): Promise<() => Promise<void>> {
  const port = Number(process.env.WORKCHAT_E2E_PORT ?? 18650);
  const dir = mkdtempSync(join(tmpdir(), "workchat-e2e-"));
  const env = {
    ...process.env,
    WORKCHAT_ENV: "dev",
    WORKCHAT_DATA_DIR: dir,
    WORKCHAT_DATABASE_URL: `sqlite+aiosqlite:///${dir}/e2e.db`,
    WORKCHAT_CREATE_DEMO_ORG: "false",
    WORKCHAT_ARGON2_TIME_COST: "1",
    WORKCHAT_ARGON2_MEMORY_KIB: "8192",
    WORKCHAT_ARGON2_PARALLELISM: "1",
    WORKCHAT_EVENT_PRUNE_INTERVAL_SECONDS: "0",
    // Short-lived access tokens: every scenario runs across token rotations.
    WORKCHAT_ACCESS_TOKEN_TTL_SECONDS: "20",
    // The big-channel scenario posts a few hundred messages through the API.
    WORKCHAT_RATE_LIMIT_MUTATIONS_USER: "2000/minute",
    WORKCHAT_RATE_LIMIT_MUTATIONS_TOKEN: "2000/minute",
  };
  const run = (args: string[]) =>
    execFileSync(WORKCHAT, args, {
      env,
      input: `${PASSWORD}\n`,
      cwd: ROOT,
      stdio: ["pipe", "ignore", "inherit"],
    });
  run(["migrate"]);
  run([
    "create-org",
    "Acme",
    "--admin-email",
    USERS.alice.email,
    "--admin-name",
    USERS.alice.name,
    "--password-stdin",
  ]);
  run([
    "create-user",
    "--org",
    "Acme",
    "--email",
    USERS.bob.email,
    "--name",
    USERS.bob.name,
    "--password-stdin",
  ]);

  const server: ChildProcess = spawn(WORKCHAT, ["serve", "--port", String(port)], {
    env,
    cwd: ROOT,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || server.exitCode !== null)
      throw new Error("workchat did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
  return async () => {
    server.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  };
}
