/**
 * CPU time used by this process (the benchmark client AND the tracker's HTTP server and handlers,
 * which run in it) and by DynamoDB Local (the Java child process), read from /proc on Linux.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuTime {
  /** ms of CPU used by this Node process. */
  node: number;
  /** ms of CPU used by the Java child processes (DynamoDB Local); NaN where /proc is unavailable. */
  dynamo: number;
}

/** Linux clock ticks per second (USER_HZ), 100 on every mainstream kernel build. */
const TICKS_PER_SECOND = 100;

function javaChildren(): number[] {
  const pids: number[] = [];
  for (const task of readdirSync('/proc/self/task')) {
    const children = readFileSync(`/proc/self/task/${task}/children`, 'utf8').trim();
    for (const pid of children ? children.split(/\s+/).map(Number) : []) {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'java') pids.push(pid);
    }
  }
  return pids;
}

function childCpuMs(): number {
  try {
    let ticks = 0;
    for (const pid of javaChildren()) {
      // Fields after the "(comm)" part: state is field 3, utime and stime are fields 14 and 15.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    }
    return (ticks * 1000) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

export function cpuTime(): CpuTime {
  const { user, system } = process.cpuUsage();
  return { node: (user + system) / 1000, dynamo: childCpuMs() };
}

export const cpuSince = (start: CpuTime): CpuTime => {
  const end = cpuTime();
  return { node: end.node - start.node, dynamo: end.dynamo - start.dynamo };
};
