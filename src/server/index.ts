export { buildServer, type ServerOptions } from './app.ts';
export { ModelSet, type ServedModel } from './models.ts';
export { serveModels, type RunningServer, type ServeOptions } from './serve.ts';
export { buildUi, registerUi, type RunActions, type StepShape, type UiOptions } from './ui/app.ts';
export { serveUi, type RunningUi, type UiServeOptions } from './ui/serve.ts';
