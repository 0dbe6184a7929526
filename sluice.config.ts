/**
 * The project file: the pipelines of this repository, found by name by `sluice scheduler`,
 * `sluice worker`, `sluice schedules` and `sluice backfill <pipeline>`.
 */
import { defineProject } from 'sluice';

export default defineProject({
  pipelines: ['examples/flights/pipeline.ts'],
});
