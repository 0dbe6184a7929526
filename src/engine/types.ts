/** Column type names as Sluice reports them (DuckDB's type names, e.g. BIGINT, VARCHAR, TIMESTAMP). */
export interface ColumnSchema {
  name: string;
  type: string;
}
