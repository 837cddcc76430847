export {
  ConfigError,
  type ConfigIssue,
  type ConfigPath,
  formatConfigIssue,
  formatConfigPath,
} from "./errors.js";
export { allowedKeys, describeValue } from "./issues.js";
export { configJsonSchema } from "./json-schema.js";
export { loadConfigFile, MAX_CONFIG_FILE_BYTES } from "./load.js";
export { parseConfigText } from "./parse.js";
