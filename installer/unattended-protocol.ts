/**
 * What an unattended install and whoever started it (the lab, a provisioning system watching the
 * serial console) agree on: where the spec and the secrets are handed over through QEMU's fw_cfg,
 * and the one line in which the installer gives its verdict.
 */

export const SPEC_FW_CFG = 'opt/org.virtualinux/cluster.yaml';
/** the CHAP secret the spec's san.chap.secret stands for */
export const SECRET_FW_CFG = 'opt/org.virtualinux/chap.secret';
/** the target's secret, for mutual CHAP */
export const TARGET_SECRET_FW_CFG = 'opt/org.virtualinux/chap-target.secret';

/** the fw_cfg entry as the guest's kernel shows it (module qemu_fw_cfg) */
export const fwCfgPath = (name: string) => `/sys/firmware/qemu_fw_cfg/by_name/${name}/raw`;

export const RESULT_MARKER = 'VIRTUALINUX-INSTALL-RESULT:';

/** installed: the cluster is on the SAN; failed: it is not, the lines before say why */
export const installStatuses = ['installed', 'failed'] as const;
export type InstallStatus = (typeof installStatuses)[number];

export const formatInstallResult = (status: InstallStatus, message: string) =>
  `${RESULT_MARKER} ${status} ${message.replaceAll(/[\r\n]+/g, ' ')}`;

export function parseInstallResult(line: string): { status: InstallStatus; message: string } {
  const found = new RegExp(`${RESULT_MARKER} (\\S+) ?(.*)$`).exec(line.trim());
  const status = found?.[1] as InstallStatus | undefined;
  if (!found || !status || !(installStatuses as readonly string[]).includes(status)) {
    return {
      status: 'failed',
      message: `the installer said something this version does not understand: ${line.trim()}`,
    };
  }
  return { status, message: (found[2] ?? '').trim() };
}
