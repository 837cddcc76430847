export * from "./incoming.js";
export * from "./projections/athena.js";
export * from "./projections/duckdb.js";
export * from "./projections/opensearch.js";
export * from "./projections/parquet.js";
export * from "./schema.js";
