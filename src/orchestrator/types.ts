export type ParamValue = string | number | boolean;
export type Params = Record<string, ParamValue>;
