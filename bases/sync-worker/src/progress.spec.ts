import { progressReporter } from './progress';

function output(isTTY: boolean) {
  let text = '';
  return {
    stream: {
      isTTY,
      write: (chunk: string) => ((text += chunk), true),
      columns: 120,
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
      on: () => undefined,
      removeListener: () => undefined,
    },
    text: () => text,
  };
}

describe('progressReporter', () => {
  it('prints plain lines at most once per interval, and the last state at the end, when not on a terminal', () => {
    const { stream, text } = output(false);
    let now = 0;
    const reporter = progressReporter('catalog rebuild', stream, { intervalMs: 1000, now: () => now });
    reporter.onProgress(0, 4);
    now = 500;
    reporter.onProgress(1, 4);
    now = 1200;
    reporter.onProgress(2, 4);
    reporter.onProgress(3, 4);
    reporter.onProgress(4, 4);
    reporter.finish();
    expect(text()).toBe(
      ['catalog rebuild: 0/4 datasets (0%)', 'catalog rebuild: 2/4 datasets (50%)', 'catalog rebuild: 4/4 datasets (100%)', ''].join('\n'),
    );
  });

  it('says 100% for an empty run', () => {
    const { stream, text } = output(false);
    const reporter = progressReporter('catalog sync', stream);
    reporter.onProgress(0, 0);
    reporter.finish();
    expect(text()).toBe('catalog sync: 0/0 datasets (100%)\n');
  });

  it('draws a live bar on a terminal', () => {
    const { stream, text } = output(true);
    const reporter = progressReporter('catalog rebuild', stream);
    reporter.onProgress(0, 3);
    reporter.onProgress(3, 3);
    reporter.finish();
    expect(text()).toContain('catalog rebuild [');
    expect(text()).toContain('3/3 datasets');
  });
});
