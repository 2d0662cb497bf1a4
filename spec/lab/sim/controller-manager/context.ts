/**
 * What every controller gets: the API, a logger, the options, and the keys the
 * controller-manager read ONCE at start (a CA changed on disk later is not seen, as in the real one).
 */
import type { KeyObject } from 'node:crypto';
import type { CA } from '../pki.js';
import type { Api } from '../client/api.js';
import type { Logger } from '../component-base/log.js';
import type { Options } from './options.js';

/** Shared state of a running controller-manager. */
export interface Context {
  api: Api;
  log: Logger;
  opts: Options;
  /** The cluster signing CA from `--cluster-signing-cert-file/key-file`, as read at start. */
  signingCA?: CA;
  /** `--root-ca-file` content as read at start. */
  rootCA?: string;
  /** `--service-account-private-key-file` as read at start. */
  saKey?: KeyObject;
}

/** A control loop: `sync` is called every `periodMs` while this process is the leader, and soon after a change it watches. */
export interface Controller {
  /** Canonical controller name (`node-lifecycle-controller`). */
  name: string;
  periodMs: number;
  /** Resources (plurals) whose changes, seen by the informers, run `sync` at once, as the real controllers' event handlers queue work. */
  watches?: readonly string[];
  sync(): Promise<void>;
}
