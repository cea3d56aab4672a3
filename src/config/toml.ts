// smol-toml behind a module of ours, so that it is loaded with the config file that needs it (an
// import() of this module), and by require() in the bundle: a dynamic import of the package itself
// would stay an import() there, which the launcher's vm.Script cannot load.

export { parse, stringify } from 'smol-toml';
