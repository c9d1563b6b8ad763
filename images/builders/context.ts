/** What every builder is given: where to put the root filesystem, and the inputs it may use. */
export interface BuildContext {
  /** the directory that receives the root filesystem; absent or empty before the builder runs */
  rootfs: string;
  /** the archive to use: the recipe's, or the one given with --mirror */
  mirror: string;
  /** every file gets at most this mtime; tools that honour SOURCE_DATE_EPOCH get it */
  sourceDateEpoch: number;
  /** package downloads kept across builds (one directory per package format) */
  packageCache: string;
}
