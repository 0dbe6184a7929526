export { buildServer, type ServerOptions } from './app.ts';
export { ModelSet, type ServedModel } from './models.ts';
export { serveModels, type RunningServer, type ServeOptions } from './serve.ts';
