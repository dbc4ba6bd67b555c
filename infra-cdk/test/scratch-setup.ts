// Jest global setup: the whole run gets one scratch directory as its temporary directory (the workers,
// started after this, inherit it). CDK apps without an outdir synth into `cdk.out*` under the temporary
// directory and some tests write route tables there; scratch-teardown.ts removes it all at the end.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export default function setup(): void {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'spine-cdk-test-'));
  process.env.SPINE_CDK_TEST_SCRATCH = scratch;
  process.env.TMPDIR = scratch;
}
