/** A JSON value: what the metadata store, model packages and fitted transformers hold as plain data. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
