/** Reading what the user gives: JSON arguments, stdin, path lists, and a password without echo. */
import { UsageError } from './failures.js';

export interface Input {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stderr: NodeJS.WritableStream;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * JSON from the arguments joined by spaces (as damas.sh sends `$*`), or from stdin for `-`.
 * stdin may also hold JSON lines (what `-l` prints), read as an array.
 */
export async function jsonArgument(args: readonly string[], input: Input): Promise<unknown> {
  const fromStdin = args.length === 1 && args[0] === '-';
  const text = fromStdin ? await readAll(input.stdin) : args.join(' ');
  if (text.trim() === '') throw new UsageError(fromStdin ? 'no JSON on stdin' : 'missing JSON argument');
  try {
    return JSON.parse(text);
  } catch (error) {
    const lines = text.split('\n').filter((line) => line.trim() !== '');
    if (fromStdin && lines.length > 1) {
      try {
        return lines.map((line) => JSON.parse(line) as unknown);
      } catch {
        // report the error of the whole text below
      }
    }
    throw new UsageError(`invalid JSON ${fromStdin ? 'on stdin' : 'argument'}: ${(error as Error).message}`);
  }
}

/** File arguments, or the lines of stdin for `-`. */
export async function pathArguments(args: readonly string[], input: Input): Promise<string[]> {
  if (!(args.length === 1 && args[0] === '-')) return [...args];
  const paths = (await readAll(input.stdin)).split('\n').filter((line) => line.trim() !== '');
  if (paths.length === 0) throw new UsageError('no paths on stdin');
  return paths;
}

/**
 * Asks for lines: on a terminal it prints the question and reads a line (without echo when
 * `hidden`); otherwise it answers the lines of stdin in turn (`printf 'alice\nsecret\n' | damas signin`).
 */
export function prompter(input: Input): (question: string, hidden?: boolean) => Promise<string> {
  let piped: Promise<string[]> | undefined;
  return async (question, hidden = false) => {
    if (!input.stdin.isTTY) {
      piped ??= readAll(input.stdin).then((text) => text.split('\n').map((l) => l.replace(/\r$/, '')));
      return (await piped).shift() ?? '';
    }
    return askTerminal(question, input, hidden);
  };
}

function askTerminal(question: string, { stdin, stderr }: Input, hidden: boolean): Promise<string> {
  if (hidden) stdin.setRawMode?.(true); // before the prompt shows, so nothing typed is echoed
  stderr.write(question);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (error?: Error) => {
      stdin.removeListener('data', onData);
      if (hidden) stdin.setRawMode?.(false);
      stdin.pause();
      if (hidden) stderr.write('\n');
      if (error) reject(error);
      else resolve(text);
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of chunk.toString()) {
        if (char === '\n' || char === '\r') return done();
        if (char === '\u0003' || char === '\u0004') return done(new UsageError('cancelled'));
        if (char === '\u007f' || char === '\b') text = text.slice(0, -1);
        else text += char;
      }
    };
    stdin.on('data', onData);
  });
}
