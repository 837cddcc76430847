export {
  type ForwardInputConfig,
  ForwardInputConfigSchema,
  type ForwardTlsConfig,
  ForwardTlsConfigSchema,
} from "./config.js";
export { type ForwardErrorCode, ForwardProtocolError } from "./errors.js";
export { ForwardInput, type ForwardInputDeps } from "./input.js";
