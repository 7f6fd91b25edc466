// Mocha's spec reporter, plus one plain closing line ("N passed, N failed") that any CI can read.
const Mocha = require('mocha');

class SlipwayReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once('end', () => {
      const s = runner.stats ?? { passes: 0, failures: 0, pending: 0 };
      console.log(`${s.passes} passed, ${s.failures} failed${s.pending ? `, ${s.pending} skipped` : ''}`);
    });
  }
}

module.exports = SlipwayReporter;
