/**
 * The lab SAN: a private tgtd (userspace iSCSI target, package tgt) on the host's loopback, which
 * QEMU guests reach at 10.0.2.2. What it serves is planned here as data (sanCommands, pure); the
 * one request that carries a secret, creating a CHAP account, is not: `tgtadm --password` would put
 * it in a command line that every user can read in /proc, so it goes to tgtd over tgtd's own
 * management socket (createAccount), the way tgtadm itself sends it.
 */
import { connect } from 'node:net';
import type { Command } from '../core/exec/command.ts';

/** what the lab SAN serves, from the spec and the lab directory */
export interface SanPlan {
  /** tgtd's management port (-C N): its socket is /var/run/tgtd/socket.N */
  controlPort: number;
  /** where tgtd listens on the host; guests reach it at 10.0.2.2 */
  listen: { address: string; port: number };
  target: string;
  lun: number;
  lunFile: string;
  /** the initiator names allowed to log in (the ACL); nobody else sees the target */
  initiators: string[];
  /** CHAP users: incoming (the blades prove themselves), outgoing for mutual CHAP */
  chap?: { user: string; mutualUser?: string };
}

export const TID = 1;
export const tgtdSocket = (controlPort: number) => `/var/run/tgtd/socket.${controlPort}`;

/** the daemon, in the foreground so that its pid is the one we keep (it ignores SIGTERM) */
export const tgtdCommand = (plan: SanPlan): Command => ({
  tool: 'tgtd',
  args: [
    '-f',
    '-C',
    String(plan.controlPort),
    '--iscsi',
    `portal=${plan.listen.address}:${plan.listen.port}`,
  ],
});

const tgtadm = (plan: SanPlan, args: string[]): Command => ({
  tool: 'tgtadm',
  args: ['-C', String(plan.controlPort), '--lld', 'iscsi', ...args],
});

/**
 * The target, its LUN (a file, sparse) and its ACL; the CHAP accounts are bound after
 * createAccount made them. Run in order against a fresh tgtd.
 */
export function sanCommands(plan: SanPlan): { target: Command[]; bindAccounts: Command[] } {
  const tid = ['--tid', String(TID)];
  return {
    target: [
      tgtadm(plan, ['--op', 'new', '--mode', 'target', ...tid, '--targetname', plan.target]),
      tgtadm(plan, [
        ...['--op', 'new', '--mode', 'logicalunit', ...tid, '--lun', String(plan.lun)],
        ...['--backing-store', plan.lunFile],
      ]),
      // the blades' discards (mkfs, fstrim, lvremove) punch holes: the LUN file stays sparse
      tgtadm(plan, [
        ...['--op', 'update', '--mode', 'logicalunit', ...tid, '--lun', String(plan.lun)],
        ...['--params', 'thin_provisioning=1'],
      ]),
      ...plan.initiators.map((name) =>
        tgtadm(plan, ['--op', 'bind', '--mode', 'target', ...tid, '--initiator-name', name]),
      ),
    ],
    bindAccounts: plan.chap
      ? [
          tgtadm(plan, ['--op', 'bind', '--mode', 'account', ...tid, '--user', plan.chap.user]),
          ...(plan.chap.mutualUser
            ? [
                tgtadm(plan, [
                  ...['--op', 'bind', '--mode', 'account', ...tid, '--user', plan.chap.mutualUser],
                  '--outgoing',
                ]),
              ]
            : []),
        ]
      : [],
  };
}

/** takes the target offline, sessions included, so that tgtd can be killed without a fuss */
export const deleteTarget = (plan: Pick<SanPlan, 'controlPort'>): Command =>
  tgtadm({ controlPort: plan.controlPort } as SanPlan, [
    ...['--op', 'delete', '--mode', 'target', '--tid', String(TID), '--force'],
  ]);

/** what tgtd knows about the target: sessions, connections, initiators (tgtadm's text) */
export const showTargets = (plan: Pick<SanPlan, 'controlPort'>): Command =>
  tgtadm({ controlPort: plan.controlPort } as SanPlan, ['--op', 'show', '--mode', 'target']);

/** Initiator names with a session open, read from `tgtadm --op show --mode target`. */
export function parseSessions(show: string): Array<{ initiator: string; address?: string }> {
  const sessions: Array<{ initiator: string; address?: string }> = [];
  for (const line of show.split('\n')) {
    const initiator = /^\s+Initiator: (\S+)/.exec(line)?.[1];
    if (initiator) sessions.push({ initiator });
    const address = /^\s+IP Address: (\S+)/.exec(line)?.[1];
    const last = sessions.at(-1);
    if (address && last && last.address === undefined) last.address = address;
  }
  return sessions;
}

// tgtd's management protocol (tgt 1.0.x, usr/tgtadm.h): a 120-byte request header, then the
// parameters as one NUL-terminated "key=value,key=value" string; the answer is err and len (u32
// each), then len - 8 bytes of text.
const MODE_ACCOUNT = 7;
const OP_NEW = 0;
const HEADER_BYTES = 120;
const LLD_BYTES = 64;
// tgtadm_error.h; the others come with tgtd's own text
const ERRORS: Record<number, string> = { 14: 'the account exists already' };

export function accountRequest(user: string, secret: string): Buffer {
  if (/[,=\0]/.test(user) || /[,=\0]/.test(secret)) {
    throw new Error('a CHAP user or secret cannot contain "," "=" or NUL (tgtd reads key=value,...)');
  }
  const params = Buffer.from(`user=${user},password=${secret}\0`);
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(MODE_ACCOUNT, 0);
  header.writeUInt32LE(OP_NEW, 4);
  header.write('iscsi', 8, LLD_BYTES, 'ascii');
  header.writeUInt32LE(HEADER_BYTES + params.length, 72);
  header.writeInt32LE(-1, 76); // tid: none
  header.writeBigUInt64LE(0n, 80); // sid
  header.writeBigUInt64LE(0xffffffffffffffffn, 88); // lun: none
  return Buffer.concat([header, params]);
}

/**
 * Creates the CHAP account `user` in the tgtd listening on `controlPort`. The secret travels only
 * over tgtd's root-only UNIX socket; it is in no command line, event or error message.
 */
export function createAccount(controlPort: number, user: string, secret: string): Promise<void> {
  const request = accountRequest(user, secret);
  return new Promise((resolve, reject) => {
    const socket = connect(tgtdSocket(controlPort));
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('tgtd did not answer within 10 s')));
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const answer = Buffer.concat(chunks);
      if (answer.length < 8 || answer.length < answer.readUInt32LE(4)) return;
      socket.destroy();
      const err = answer.readUInt32LE(0);
      if (err === 0) resolve();
      else
        reject(
          new Error(
            `tgtd refused to create the CHAP account ${user}: ${ERRORS[err] ?? `error ${err}`} (${answer.subarray(8).toString().replace(/\0.*$/s, '').trim()})`,
          ),
        );
    });
    socket.on('error', (error) =>
      reject(new Error(`cannot reach tgtd at ${tgtdSocket(controlPort)}: ${error.message}`)),
    );
    socket.on('close', () => reject(new Error('tgtd closed its socket without an answer')));
  });
}
