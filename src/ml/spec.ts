/**
 * Run-time checking of estimator specs against each family's declared options: the same check the
 * TypeScript types make at compile time, for pipeline files written in plain JavaScript or built from
 * params. An unknown option is an error with a "did you mean" hint; a value of the wrong type names
 * the option and what it takes. Ranges (e.g. numTrees >= 1) are checked by the family's resolver.
 *
 * @example
 * checkOptions('gbdt', { numTree: 10 }, GBDT_OPTIONS);
 * // DataError: gbdt has no option "numTree" (hint: Did you mean "numTrees"? ...)
 */
import { DataError } from '../core/errors.ts';

/** What an option accepts. Every number must be finite; 'integer' also whole. */
export type OptionRule =
  | { kind: 'number' | 'integer' | 'boolean'; doc?: string }
  | { kind: 'enum'; values: readonly string[]; doc?: string }
  /** A number, or one of the named values (e.g. maxFeatures: 'sqrt' | 0.5 | 3). */
  | { kind: 'number-or-enum'; values: readonly string[]; doc?: string }
  /** One of the named values, or a list of numbers (e.g. classWeight: 'balanced' | [1, 3]). */
  | { kind: 'numbers-or-enum'; values: readonly string[]; doc?: string }
  /** A nested group of options (e.g. gbdt's categorical settings). */
  | { kind: 'object'; options: OptionRules; doc?: string }
  /** A whole estimator spec, checked by the registry (e.g. the base of a calibrated estimator). */
  | { kind: 'spec'; doc?: string };

export type OptionRules = Readonly<Record<string, OptionRule>>;

/** Options that were renamed: the old name, the new one. Using the old name is an error that says so. */
export type Renamed = Readonly<Record<string, string>>;

/** Levenshtein distance, case-insensitive (option names differ by a letter or two when misspelled). */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[t.length]!;
}

/** The closest known name within a distance that still reads as a typo, or undefined. */
export function didYouMean(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestD) { best = k; bestD = d; }
  }
  // A substring (numTree in numTrees) or up to a third of the letters wrong.
  if (best !== undefined && (bestD <= Math.max(2, Math.floor(name.length / 3)) || best.toLowerCase().includes(name.toLowerCase()))) return best;
  return undefined;
}

function describe(rule: OptionRule): string {
  switch (rule.kind) {
    case 'number': return 'a finite number';
    case 'integer': return 'an integer';
    case 'boolean': return 'true or false';
    case 'enum': return rule.values.map((v) => JSON.stringify(v)).join(' | ');
    case 'number-or-enum': return `${rule.values.map((v) => JSON.stringify(v)).join(' | ')} or a number`;
    case 'numbers-or-enum': return `${rule.values.map((v) => JSON.stringify(v)).join(' | ')} or a list of numbers`;
    case 'object': return `an object of { ${Object.keys(rule.options).join(', ')} }`;
    case 'spec': return "an estimator spec ({ type: '...', ... })";
  }
}

/** "numTrees (integer), learningRate (number), ..." for hints. */
export function listOptions(rules: OptionRules): string {
  return Object.entries(rules).map(([k, r]) => `${k} (${describe(r)})`).join(', ');
}

function fits(rule: OptionRule, v: unknown): boolean {
  const finite = typeof v === 'number' && Number.isFinite(v);
  switch (rule.kind) {
    case 'number': return finite;
    case 'integer': return finite && Number.isInteger(v);
    case 'boolean': return typeof v === 'boolean';
    case 'enum': return typeof v === 'string' && rule.values.includes(v);
    case 'number-or-enum': return finite || (typeof v === 'string' && rule.values.includes(v));
    case 'numbers-or-enum': return (typeof v === 'string' && rule.values.includes(v)) || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x)));
    case 'object': return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'spec': return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { type?: unknown }).type === 'string';
  }
}

/**
 * Checks every key of `options` (a spec without its `type`) against `rules`. `who` names the
 * estimator type and, for nested groups, the path ("gbdt option categorical.l2"). Returns the
 * nested specs found (kind 'spec') so the registry can check them in turn.
 */
export function checkOptions(who: string, options: Readonly<Record<string, unknown>>, rules: OptionRules, renamed: Renamed = {}, path = ''): Record<string, unknown>[] {
  const nested: Record<string, unknown>[] = [];
  const known = Object.keys(rules);
  for (const [key, value] of Object.entries(options)) {
    const name = `${path}${key}`;
    const rule = rules[key];
    if (rule === undefined) {
      const newName = renamed[key];
      if (newName !== undefined) {
        throw new DataError(`${who} option "${name}" was renamed to "${path}${newName}"`, {
          code: 'BAD_ESTIMATOR', context: { option: name }, hint: `Write ${path}${newName}: ${JSON.stringify(value)} (one name across estimator families).`,
        });
      }
      const guess = didYouMean(key, known);
      throw new DataError(`${who} has no option "${name}"`, {
        code: 'BAD_ESTIMATOR', context: { option: name },
        hint: `${guess !== undefined ? `Did you mean "${path}${guess}"? ` : ''}Options of ${who}${path ? ` ${path.slice(0, -1)}` : ''}: ${listOptions(rules)}.`,
      });
    }
    // undefined is "not set", as an omitted key (specs are often built with optional params).
    if (value === undefined) continue;
    if (!fits(rule, value)) {
      throw new DataError(`${who} option "${name}" must be ${describe(rule)}, got ${JSON.stringify(value)}`, {
        code: 'BAD_ESTIMATOR', context: { option: name }, ...(rule.doc ? { hint: `${name}: ${rule.doc}` } : {}),
      });
    }
    if (rule.kind === 'object') nested.push(...checkOptions(who, value as Record<string, unknown>, rule.options, {}, `${name}.`));
    if (rule.kind === 'spec') nested.push(value as Record<string, unknown>);
  }
  return nested;
}

/**
 * Checks the names of an options object given to a class directly (`new GradientBoostedTrees(options)`,
 * `.fit(frame, label, options)`): its callers may be plain JavaScript, so a misspelled name must not be
 * ignored in silence. An unknown name is an error with a "did you mean" hint.
 */
export function checkOptionNames(who: string, options: object, known: Readonly<Record<string, true>>): void {
  const names = Object.keys(known);
  for (const key of Object.keys(options)) {
    if (Object.hasOwn(known, key)) continue;
    const guess = didYouMean(key, names);
    throw new DataError(`${who} has no option "${key}"`, {
      code: 'BAD_ESTIMATOR', context: { option: key },
      hint: `${guess !== undefined ? `Did you mean "${guess}"? ` : ''}Its options: ${names.join(', ')}.`,
    });
  }
}
