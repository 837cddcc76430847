import fc from "fast-check";

// Locally every run explores new random cases; in CI the seed is fixed so a submission's result
// does not depend on the draw. FC_SEED reproduces any reported failure.
const seed = process.env.FC_SEED ?? (process.env.CI ? "20261205" : undefined);
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) });
