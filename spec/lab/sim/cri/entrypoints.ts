/**
 * What a lab container runs when its pod gives no `command`: the image's ENTRYPOINT + CMD, played by
 * the lab program that stands for it. Only the images the lab's layouts run without a command:
 * nginx (kubespray's nginx-proxy static pod: docker.io/library/nginx, CMD ["nginx", "-g", "daemon off;"]).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The lab's compiled sim folder (dist-lab/spec/lab/sim). */
const SIM = join(dirname(fileURLToPath(import.meta.url)), '..');

/** argv for `image` without a command, or undefined when the lab does not model that image. */
export function imageCommand(image: string): string[] | undefined {
  const repo = image.replace(/@.*$/, '').replace(/:[^:/]+$/, '');
  if (/(^|\/)nginx$/.test(repo)) return [process.execPath, join(SIM, 'nginx', 'main.js'), '-g', 'daemon off;'];
  return undefined;
}
