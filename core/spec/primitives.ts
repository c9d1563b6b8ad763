/**
 * The value types of cluster.yaml, each with a message that says what was found and what is expected.
 * Messages never echo a value that could be a secret.
 */
import { z } from 'zod';
import { describeValue } from '../yaml/describe.ts';
import { parseCidr, parseIpv4 } from './ipv4.ts';
import { isMulticast, MAC_HINT, parseMac } from './mac.ts';
import { expandNodeRange } from './node-range.ts';
import { parseSize } from './size.ts';

/** a string field; `what` completes "expected …" */
export const text = (what: string) =>
  z.string({
    error: (issue) =>
      issue.input === undefined
        ? `missing (expected ${what})`
        : `expected ${what}, found ${describeValue(issue.input)}`,
  });

const matching = (what: string, pattern: RegExp, example: string) =>
  text(what).refine((value) => pattern.test(value), {
    error: (issue) => `"${String(issue.input)}" is not ${what} (expected e.g. ${example})`,
  });

export const Hostname = matching(
  'a host name',
  /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/,
  'node01 (lower case, digits, -)',
);

export const ClusterName = matching(
  'a cluster name',
  /^[a-z][a-z0-9]{0,15}$/,
  'lab (lower case and digits, at most 16)',
);

export const DnsDomain = matching(
  'a DNS domain',
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/,
  'lab.example.org',
);

const IQN =
  /^iqn\.\d{4}-(0[1-9]|1[0-2])\.[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[a-z0-9.:_-]+)?$/;
const EUI = /^eui\.[0-9A-F]{16}$/;

export const Iqn = text('an iSCSI name').refine((v) => v.length <= 223 && (IQN.test(v) || EUI.test(v)), {
  error: (issue) =>
    `"${String(issue.input)}" is not an iSCSI qualified name (expected iqn.YYYY-MM.reversed.domain:name in lower case, e.g. iqn.2026-11.org.example:san1)`,
});

/** the naming-authority part of an IQN, to which VirtuaLinux appends `:<cluster>.<blade>` */
export const IqnPrefix = matching(
  'an IQN prefix',
  /^iqn\.\d{4}-(0[1-9]|1[0-2])\.[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/,
  'iqn.2026-11.org.example',
);

export const Ipv4 = text('an IPv4 address').refine((v) => parseIpv4(v) !== undefined, {
  error: (issue) => `"${String(issue.input)}" is not an IPv4 address (expected e.g. 10.42.0.10)`,
});

export const Cidr = text('a network').superRefine((value, ctx) => {
  const parsed = parseCidr(value);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.reason, input: value });
});

export const Mac = text('a MAC address').superRefine((value, ctx) => {
  const parsed = parseMac(value);
  if (parsed === undefined)
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a MAC address (${MAC_HINT})`, input: value });
  else if (isMulticast(parsed)) {
    ctx.addIssue({
      code: 'custom',
      message: `${value} is a multicast address, never a NIC's own (${MAC_HINT})`,
      input: value,
    });
  }
});

/** a blade name or a range of them: node01, node[01-16] */
export const NodeNames = text('a blade name or range like node[01-16]').superRefine((value, ctx) => {
  const expanded = expandNodeRange(value);
  if (!expanded.ok) {
    ctx.addIssue({ code: 'custom', message: expanded.reason, input: value });
    return;
  }
  const bad = expanded.names.find((name) => !/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name));
  if (bad !== undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `"${bad}" is not a valid blade name (expected lower case letters, digits and -, starting with a letter)`,
      input: value,
    });
  }
});

export const Size = z
  .union([z.string(), z.number()], {
    error: (issue) => `expected a size like 4GiB, found ${describeValue(issue.input)}`,
  })
  .transform((value, ctx) => {
    const parsed = parseSize(value);
    if (parsed.ok) return parsed.bytes;
    ctx.addIssue({ code: 'custom', message: parsed.reason, input: value });
    return z.NEVER;
  })
  .meta({ title: 'size', examples: ['512MiB', '4GiB', '4G'] });

/** `host` or `host:port`; the port defaults to iSCSI's 3260 */
export const Portal = text('a portal like 10.0.2.2:3260').transform((value, ctx) => {
  const match = /^([a-z0-9.-]+?)(?::(\d{1,5}))?$/i.exec(value);
  const port = Number(match?.[2] ?? 3260);
  if (!match || port < 1 || port > 65535) {
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" is not a portal (expected ADDRESS or ADDRESS:PORT, e.g. 10.0.2.2:3260)`,
      input: value,
    });
    return z.NEVER;
  }
  return { address: match[1] ?? '', port };
});

/**
 * Where a secret lives — never the secret: `file:/etc/virtualinux/chap.secret` (a 0600 file)
 * or `env:VL_CHAP_SECRET`. The message never repeats the value, since it may be the secret itself.
 */
export const SecretRef = z
  .string({ error: () => 'expected a secret reference like file:/etc/virtualinux/chap.secret' })
  .refine((v) => /^file:\/\S+$/.test(v) || /^env:[A-Za-z_][A-Za-z0-9_]*$/.test(v), {
    error: () =>
      'is not a secret reference: the spec names where the secret is, never the secret itself (expected file:/etc/virtualinux/chap.secret or env:VL_CHAP_SECRET)',
  });

export const InterfaceName = matching('an interface name', /^[a-zA-Z0-9_.:-]{1,15}$/, 'eth0 or ib0');

export const ModuleName = matching('a kernel module name', /^[a-zA-Z0-9_-]+$/, 'virtio_net or ib_ipoib');

export const ImageName = matching('an image name', /^[a-z0-9][a-z0-9.-]*$/, 'debian-12');

/** an OpenSSH public key line: type, base64 key, optional comment (never a private key) */
export const SshPublicKey = text('an SSH public key').refine(
  (v) =>
    /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\n]*)?$/.test(
      v,
    ),
  {
    error: (issue) =>
      `"${String(issue.input).slice(0, 40)}…" is not an SSH public key (expected one line of a .pub file, e.g. ssh-ed25519 AAAAC3Nza… admin@host)`,
  },
);
