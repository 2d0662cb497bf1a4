/**
 * An upload through sudo: the bytes go on stdin to a small script run as root, which writes them to
 * a temp file beside the target and renames it over the target only when it holds exactly the bytes
 * sent (size and sha256). Whatever stops it early (input cut short when the connection drops,
 * SIGHUP/SIGINT/SIGTERM, an error) removes the temp file, so no part of a ca.key stays behind.
 * SIGKILL cannot be trapped: after a timeout or abort the transport removes the temp file itself.
 */
import { createHash } from 'node:crypto';
import { tempName } from './sftp.js';

/**
 * Args: PATH TMP MODE SIZE SHA256 [OWNER]. stdin goes to TMP (umask 077), is checked, chmod MODE
 * (and chown OWNER), then renamed over PATH; TMP is removed on every other way out.
 */
export const SUDO_UPLOAD_SCRIPT = `set -u; umask 077; path=$1 tmp=$2
trap 'rm -f -- "$tmp"' EXIT
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM; trap 'exit 141' PIPE
cat > "$tmp" || exit 1
n=$(wc -c < "$tmp")
[ "$n" -eq "$4" ] || { echo "received $n of $4 bytes (input cut short): $path left unchanged" >&2; exit 3; }
h=$(sha256sum < "$tmp")
[ "\${h%% *}" = "$5" ] || { echo "the bytes received differ from those sent (sha256): $path left unchanged" >&2; exit 3; }
chmod "$3" "$tmp" || exit 1
[ -z "\${6:-}" ] || chown -- "$6" "$tmp" || exit 1
mv -f -- "$tmp" "$path"`;

/** The argv of an upload of `data` to `path` through sudo (run it with `data` on stdin); its temp file is argv[5]. */
export function sudoUploadArgv(path: string, data: Buffer, mode: number, owner?: string): string[] {
  const sum = createHash('sha256').update(data).digest('hex');
  return ['sh', '-c', SUDO_UPLOAD_SCRIPT, 'sh', path, tempName(path), mode.toString(8).padStart(4, '0'), String(data.length), sum, ...(owner ? [owner] : [])];
}
