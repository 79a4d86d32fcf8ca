// Mocha's settings. The whole suite runs when no test file is named; `npx mocha test/x.test.ts` runs just that file.
const named = process.argv.slice(2).some((a) => /\.test\.ts$/.test(a));
module.exports = {
  require: ['tsx/cjs', './test/support/temp-dirs.ts', './test/support/leftover-processes.ts'],
  extension: ['ts'],
  ...(named ? {} : { spec: ['test/**/*.test.ts'] }),
  timeout: 20000,
  reporter: './test/support/counts-reporter.js',
  exit: true,
};
