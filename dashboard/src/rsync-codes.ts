/** rsync exit codes as the agents report them (`syncError_<site>`), in words. */
const CODES: Record<string, string> = {
  '1': 'syntax or usage error',
  '2': 'protocol incompatibility',
  '3': 'errors selecting input/output files',
  '5': 'error starting client-server protocol',
  '10': 'error in socket I/O',
  '11': 'error in file I/O',
  '12': 'error in rsync protocol data stream',
  '20': 'interrupted',
  '23': 'partial transfer or file not found',
  '24': 'source file vanished',
  '30': 'timeout in data send/receive',
  '35': 'timeout waiting for daemon connection',
  '255': 'ssh connection failed',
};

export const rsyncCodeText = (code: string | number) => CODES[String(code)] ?? 'rsync error';
