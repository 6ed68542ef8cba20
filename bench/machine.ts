/** The machine the benchmark ran on: CPU, memory, Node and Java versions. */
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export interface Machine {
  os: string;
  cpu: string;
  cpus: number;
  memoryGiB: number;
  node: string;
  java: string;
  /** 1-minute load average when the run started and when it ended (the machine may be shared). */
  load: { start: number; end?: number };
}

/** `java -version` of the Java that runs DynamoDB Local (JAVA_HOME first, as local/dynamodb/launch.ts). */
async function javaVersion(): Promise<string> {
  const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  try {
    const { stdout, stderr } = await promisify(execFile)(java, ['-version']);
    return (stderr || stdout).split('\n')[0]!.trim();
  } catch {
    return 'unknown';
  }
}

export async function describeMachine(): Promise<Machine> {
  const cpus = os.cpus();
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    java: await javaVersion(),
    load: { start: loadAverage() },
  };
}

export const loadAverage = (): number => Math.round(os.loadavg()[0]! * 100) / 100;

export const formatMachine = (m: Machine): string =>
  [
    `machine: ${m.cpus} × ${m.cpu}, ${m.memoryGiB} GiB RAM, ${m.os}`,
    `runtime: Node ${m.node}, ${m.java}`,
    `load average (1 min): ${m.load.start} at start, ${m.load.end ?? '?'} at end`,
  ].join('\n');
