/**
 * Schema drift between a dataset's previous version and new data: columns added, removed, or retyped.
 *
 * @example
 * compareSchemas([{ name: 'a', type: 'BIGINT' }], [{ name: 'a', type: 'DOUBLE' }, { name: 'b', type: 'VARCHAR' }]);
 * // { added: [{ name: 'b', type: 'VARCHAR' }], removed: [], retyped: [{ name: 'a', from: 'BIGINT', to: 'DOUBLE' }] }
 */
export interface SchemaDrift {
  added: { name: string; type: string }[];
  removed: { name: string; type: string }[];
  retyped: { name: string; from: string; to: string }[];
}

export function compareSchemas(before: readonly { name: string; type: string }[], after: readonly { name: string; type: string }[]): SchemaDrift {
  const old = new Map(before.map((c) => [c.name, c.type]));
  const now = new Map(after.map((c) => [c.name, c.type]));
  return {
    added: after.filter((c) => !old.has(c.name)).map((c) => ({ name: c.name, type: c.type })),
    removed: before.filter((c) => !now.has(c.name)).map((c) => ({ name: c.name, type: c.type })),
    retyped: after.filter((c) => old.has(c.name) && old.get(c.name)!.toUpperCase() !== c.type.toUpperCase()).map((c) => ({ name: c.name, from: old.get(c.name)!, to: c.type })),
  };
}

export function hasDrift(d: SchemaDrift): boolean {
  return d.added.length + d.removed.length + d.retyped.length > 0;
}
