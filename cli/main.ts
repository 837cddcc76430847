#!/usr/bin/env node
import { main } from "./program.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`logpipe: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
