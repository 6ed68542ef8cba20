/**
 * Tokens kept by `signin`: `$XDG_CONFIG_HOME/damas/tokens.json` (default `~/.config`), one entry
 * per API base URL, readable by the owner only (file 0600, folder 0700), replaced atomically.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface SavedToken {
  token: string;
  username: string;
  savedAt: number;
}

type TokenFile = Record<string, SavedToken>;

export class TokenStore {
  readonly file: string;

  constructor(env: NodeJS.ProcessEnv) {
    const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
    this.file = join(config, 'damas', 'tokens.json');
  }

  get(server: string): SavedToken | undefined {
    return this.read()[server];
  }

  set(server: string, saved: SavedToken): void {
    this.write({ ...this.read(), [server]: saved });
  }

  /** True if a token was kept for this server. */
  delete(server: string): boolean {
    const tokens = this.read();
    if (!(server in tokens)) return false;
    delete tokens[server];
    this.write(tokens);
    return true;
  }

  private read(): TokenFile {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return {};
    }
    try {
      const parsed: unknown = JSON.parse(text);
      return typeof parsed === 'object' && parsed !== null ? (parsed as TokenFile) : {};
    } catch {
      throw new Error(`${this.file} is not valid JSON; fix or delete it`);
    }
  }

  private write(tokens: TokenFile): void {
    const dir = join(this.file, '..');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temporary, 0o600); // in case the umask or an old file widened it
    renameSync(temporary, this.file);
  }
}
