/** The inventory module: load, validate and select hosts. */
export { loadInventory, MAX_INVENTORY_BYTES, type LoadOptions } from './load.js';
export { InventoryError, LimitError, formatIssues, type InventoryIssue } from './errors.js';
export { selectHosts, firstMaster, masters, workers, others } from './select.js';
export type { EtcdTopology, Host, HostField, Inventory, InventoryOrigins, JumpHost, Role, SshDefaults, SudoMode } from './types.js';
export { findInventoryFile, INVENTORY_NAMES } from './find.js';
export { requireStackedEtcd } from './etcd.js';
