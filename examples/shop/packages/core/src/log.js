/**
 * A logger that writes one JSON object per line to stdout, the format PM2 and
 * CI logs keep readable and greppable.
 */
export function createLogger(service, stream = process.stdout) {
  const write = (level, message, fields = {}) => {
    stream.write(`${JSON.stringify({ time: new Date().toISOString(), level, service, message, ...fields })}\n`);
  };
  return {
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
  };
}
