// The one place that listens to the process's signals: SIGTERM and SIGINT stop the daemon, SIGHUP
// re-reads its configuration. Everything else is told through the callbacks.

export interface SignalHandlers {
  stop(signal: NodeJS.Signals): void;
  reload(): void;
}

/** Listens until the returned function is called. */
export function onSignals(handlers: SignalHandlers): () => void {
  const stop = (signal: NodeJS.Signals) => handlers.stop(signal);
  const reload = () => handlers.reload();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', reload);
  return () => {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    process.off('SIGHUP', reload);
  };
}
