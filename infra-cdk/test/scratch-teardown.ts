// Jest global teardown: removes the run's scratch directory (see scratch-setup.ts).
import * as fs from 'fs';

export default function teardown(): void {
  const scratch = process.env.SPINE_CDK_TEST_SCRATCH;
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
}
