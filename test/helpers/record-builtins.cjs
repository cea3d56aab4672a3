// Preloaded with --require into the built CLI: at exit, writes the Node built-ins and the packages the
// process loaded to the file RECORD_MODULES names (one per line), for the hook's load budget test.
const { appendFileSync } = require('node:fs');
const Module = require('node:module');

const packages = new Set();
const load = Module._load;
Module._load = function (request, ...rest) {
  if (!request.startsWith('.') && !request.startsWith('/') && !request.startsWith('node:')) packages.add(`package:${request}`);
  return load.call(this, request, ...rest);
};
process.on('exit', () => {
  const builtins = process.moduleLoadList.filter((name) => name.startsWith('NativeModule ')).map((name) => `builtin:${name.slice('NativeModule '.length)}`);
  appendFileSync(process.env.RECORD_MODULES, `${[...builtins, ...packages].join('\n')}\n`);
});
